import logging

from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError

from .common import ROUTER_PASSWORD, WispNetworkCase


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class TestSecurity(WispNetworkCase):
    def test_credentials_only_for_network_engineers(self):
        for user in (self.support, self.billing, self.installer):
            router = self.router.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(router.read(["name"])[0]["name"], "Test NAS")
                self.assertNotIn("password", router.fields_get())
                for field in ("password", "username", "radius_server_id", "coa_secret"):
                    with self.assertRaises(AccessError):
                        router.read([field])
                with self.assertRaises(AccessError):
                    router.write({"host": "10.0.0.1"})
        self.assertEqual(self.router.with_user(self.network).password, ROUTER_PASSWORD)

    def test_support_cannot_read_credentials_through_the_service(self):
        service = self.new_service(state="active")
        with self.assertRaises(AccessError):
            service.with_user(self.support).router_id.password  # noqa: B018

    def test_credentials_never_reach_logs_jobs_or_chatter(self):
        capture = _Capture()
        loggers = [logging.getLogger(n) for n in ("librouteros", "odoo.addons.wisp_network")]
        levels = [logger.level for logger in loggers]
        root = logging.getLogger()
        root.addHandler(capture)
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        try:
            service = self.new_service(state="active", ip_address="10.9.0.9")
            self.run_jobs()  # every API word logged at DEBUG, login included
            self.router.with_user(self.network).action_check_connection()
            self.emu.set_refuse(True)
            service.with_user(self.billing).action_suspend()
            self.run_jobs()
            self.router.with_user(self.network).action_check_connection()
        finally:
            root.removeHandler(capture)
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
        self.assertTrue(capture.messages)
        network_password = service.sudo().network_password
        texts = [
            *capture.messages,
            *self.Job.search([]).mapped("last_error"),
            self.router.last_error or "",
            *self.env["mail.message"].search([]).mapped("body"),
            *self.env["mail.tracking.value"].search([]).mapped("old_value_char"),
            *self.env["mail.tracking.value"].search([]).mapped("new_value_char"),
        ]
        for text in texts:
            self.assertNotIn(ROUTER_PASSWORD, text or "")
            self.assertNotIn(network_password, text or "")

    def test_password_change_is_not_tracked(self):
        self.router.password = "another-secret-9"  # noqa: S105 - test data
        tracked = self.router.message_ids.tracking_value_ids.mapped("new_value_char")
        self.assertNotIn("another-secret-9", tracked)


class TestNetworkRoles(WispNetworkCase):
    """Each role calls wisp_network's public methods outside its scope: refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = make_portal_user(cls.env, "t_net_portal", cls.subscriber)

    def test_only_network_engineers_queue_syncs_and_reconciles(self):
        service = self.new_service(state="active")
        self.run_jobs()
        missing = service.browse(10**9)
        for user in (self.portal_user, self.installer, self.support, self.billing):
            for records, method in (
                (service, "action_sync_network"),
                (missing, "action_sync_network"),  # same answer: no existence oracle
                (self.router, "action_reconcile"),
                (self.router, "action_check_connection"),
            ):
                with (
                    self.subTest(user=user.login, model=records._name, method=method),
                    self.assertRaises(AccessError),
                ):
                    getattr(records.with_user(user), method)()
        self.assertFalse(self.Job.search([("state", "=", "pending")]))
        service.with_user(self.network).action_sync_network()
        self.router.with_user(self.network).action_reconcile()
        self.assertEqual(len(self.Job.search([("state", "=", "pending")])), 2)

    def test_only_network_engineers_retry_jobs(self):
        self.router.password = "wrong"  # noqa: S105 - test data
        service = self.new_service(state="active")
        self.run_jobs()
        job = self.jobs_of(service)
        self.assertEqual(job.state, "failed")
        for user in (self.portal_user, self.installer, self.support, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                job.with_user(user).action_retry()
        with self.assertRaises(AccessError):
            job.with_user(self.network).write({"state": "done"})
        self.assertEqual(job.state, "failed")
        job.with_user(self.network).action_retry()
        self.assertEqual(job.state, "pending")

    def test_circuit_tests_run_by_support_and_network_only_never_forged(self):
        service = self.new_service(state="active", ip_address="10.9.0.8")
        self.emu.set_host("10.9.0.8")
        for user in (self.portal_user, self.installer, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                service.with_user(user).action_circuit_test()
        self.assertFalse(service.circuit_test_ids)
        service.with_user(self.support).action_circuit_test()
        test = service.circuit_test_ids
        self.assertEqual(test.state, "reachable")
        for user in (self.support, self.network):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    test.with_user(user).write({"state": "unreachable"})
                with self.assertRaises(AccessError):
                    self.env["wisp.circuit.test"].with_user(user).create(
                        {
                            "service_id": service.id,
                            "router_id": self.router.id,
                            "address": "10.9.0.8",
                            "state": "reachable",
                        }
                    )

    def test_usage_state_and_router_are_not_for_support(self):
        service = self.new_service(state="active")
        for vals in (
            {"cap_exceeded": False},
            {"cap_exceeded_date": False},
            {"usage_counter_download": 0.0},
            {"router_id": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                service.with_user(self.support).write(vals)
        with self.assertRaises(AccessError):
            service.with_user(self.network).write({"cap_exceeded": False})

    def test_forged_context_does_not_skip_the_router_sync(self):
        service = self.new_service(state="active")
        self.run_jobs()
        service.with_user(self.network).with_context(wisp_network_no_sync=True).write(
            {"ip_address": "10.9.0.10"}
        )
        self.assertEqual(
            self.jobs_of(service).filtered(lambda j: j.state == "pending").kind, "sync"
        )

    def test_forged_context_does_not_skip_the_sync_of_a_superuser_step(self):
        """A method that raises rights keeps its caller's context: the flag an RPC can
        carry is not the one our own code sets."""
        service = self.new_service(state="active")
        self.run_jobs()
        service.sudo().with_context(wisp_network_no_sync=True).write({"ip_address": "10.9.0.11"})
        self.assertEqual(
            self.jobs_of(service).filtered(lambda j: j.state == "pending").kind, "sync"
        )

    def test_portal_reads_no_network_internals(self):
        service = self.new_service(state="active")
        Service = service.with_user(self.portal_user)
        for field in ("usage_counter_download", "usage_counter_upload", "network_job_failed"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                Service.read([field])
        with self.assertRaises(AccessError):
            Service.search_read([], ["usage_counter_download"])
        with self.assertRaises(AccessError):
            Service.formatted_read_group([], ["usage_counter_download"], ["__count"])
        self.assertTrue(Service.read(["cycle_usage_gb", "cap_exceeded"]))
