from odoo.addons.wisp_subscriber.tests.import_helpers import imported, run_import

from .common import WispNetworkCase, start_emulated_router

FILE = "\n".join(
    [
        "subscriber_ref,name,service_ref,plan,status,login,password,site",
        "A,Ann,S1,Test Home 20,active,ann.one,Pw-ann-1,TT",
        "B,Bob,S2,Test Home 20,suspended,bob.two,Pw-bob-2,TT",
        "C,Cid,S3,Test Home 20,active,cid.three,Pw-cid-3,TT",
        "D,Dan,S4,Test Home 20,active,dan.four,Pw-dan-4,T2",
        "E,Eve,S5,Test Home 20,terminated,eve.five,,T2",
        "F,Fay,S6,Test Home 20,confirmed,fay.six,,T2",
    ]
)


class TestImportNetwork(WispNetworkCase):
    """A migration provisions each router once, with one reconcile, and no job per service."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site2 = cls.env["wisp.site"].create({"name": "Second Tower", "code": "T2"})
        cls.emu2, cls.router2 = start_emulated_router(cls, cls.site2, name="Second NAS")
        cls.env["wisp.ip.pool"].create(
            {"name": "Second Tower PPPoE", "site_id": cls.site2.id, "cidr": "10.78.0.0/28"}
        )

    def setUp(self):
        super().setUp()
        self.emu2.reset()

    def service(self, ref):
        return imported(self.env, "wisp.service", "template", ref)

    def test_one_reconcile_per_router_and_no_service_job(self):
        wizard, _action = run_import(self.env(user=self.manager), FILE)
        self.assertEqual(wizard.state, "done", wizard.report)
        jobs = self.Job.search([])
        self.assertEqual(sorted(jobs.mapped("kind")), ["reconcile", "reconcile"])
        self.assertEqual(jobs.router_id, self.router | self.router2)
        self.assertFalse(jobs.service_id, "no per-service sync job")
        self.run_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        # each router now holds what the imported services' statuses say
        self.assertEqual(self.secret(self.service("S1"))["password"], "Pw-ann-1")
        self.assertTrue(self.secret(self.service("S2")), "suspended: present, restricted")
        self.assertTrue(self.emu2.row("/ppp/secret", "dan.four"))
        self.assertFalse(self.emu2.row("/ppp/secret", "eve.five"))
        self.assertFalse(self.emu2.row("/ppp/secret", "fay.six"))

        # the same file again: nothing changed, nothing queued (the address the pool
        # gave Dan at activation stays: an empty cell keeps the suite's value)
        dan_ip = self.service("S4").ip_address
        self.assertTrue(dan_ip.startswith("10.78.0."))
        wizard, _action = run_import(self.env(user=self.manager), FILE)
        self.assertIn("Services: 0 created, 0 updated, 6 unchanged", wizard.report)
        self.assertEqual(self.service("S4").ip_address, dan_ip)
        self.assertEqual(self.Job.search([]), jobs)

        # a changed row: its router alone is reconciled again
        run_import(
            self.env(user=self.manager),
            FILE.replace("S4,Test Home 20,active", "S4,Test Home 20,suspended"),
        )
        new = self.Job.search([]) - jobs
        self.assertEqual(
            (new.kind, new.router_id, new.service_id),
            ("reconcile", self.router2, self.Job.service_id),
        )

    def test_import_context_is_no_pass_for_users(self):
        """``wisp_import`` silences the per-service job for the import (superuser) only."""
        service = self.new_service(state="confirmed")
        service.with_user(self.network).with_context(wisp_import=True).action_activate()
        self.assertEqual(self.jobs_of(service).kind, "sync")

    def test_import_context_is_no_pass_through_a_superuser_step(self):
        """A public method that goes superuser keeps its caller's context: an installer
        completing an order with ``wisp_import`` still gets the service its sync job."""
        service = self.new_service(state="installation")
        self.mount_device(service)
        order = service.installation_order_ids
        order.with_user(self.installer).with_context(wisp_import=True).action_done()
        self.assertEqual(service.state, "active")
        self.assertEqual(self.jobs_of(service).kind, "sync")
