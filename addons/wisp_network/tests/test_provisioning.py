from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_plan

from ..models.wisp_service import plan_speed_profiles
from .common import WispNetworkCase


class TestProvisioningRouterOS(WispNetworkCase):
    """Life-cycle changes reach the (emulated) RouterOS router through sync jobs."""

    def test_activation_queues_a_job_and_provisions_the_secret(self):
        service = self.new_service(state="active", ip_address="10.9.0.5")
        job = self.jobs_of(service)
        self.assertEqual((job.kind, job.state, job.router_id), ("sync", "pending", self.router))
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", self.env.ref("wisp_network.ir_cron_wisp_network_jobs").id)]
            ),
            "the job cron is triggered so the change reaches the router within seconds",
        )
        self.assertIsNone(self.secret(service), "no router I/O inside the business transaction")

        self.assertEqual(self.run_jobs(), 1)
        self.assertEqual(job.state, "done")
        secret = self.secret(service)
        self.assertEqual(secret["password"], service.sudo().network_password)
        self.assertEqual(secret["service"], "pppoe")
        self.assertEqual(secret["remote-address"], "10.9.0.5")
        self.assertTrue(secret["comment"].startswith(f"wisp:{service.name}"))
        self.assertEqual(
            self.profile_of(service)["rate-limit"], "4000k/20000k 6000k/30000k 3000k/15000k 8/8"
        )
        self.assertEqual(self.router.reachability, "reachable")
        self.assertTrue(self.router.last_sync_date)

    def test_suspend_restricts_and_reactivate_restores(self):
        service = self.new_service(state="active", ip_address="10.9.0.6")
        self.run_jobs()
        self.emu.connect_session(service.login)

        service.with_user(self.billing).action_suspend(reason="Overdue")
        self.run_jobs()
        self.assertTrue(self.secret(service)["profile"].endswith("-restricted"))
        self.assertEqual(self.profile_of(service)["address-list"], "wisp-restricted")
        entry = self.emu.row("/ip/firewall/address-list", comment=f"wisp:{service.login}")
        self.assertEqual(entry["address"], "10.9.0.6")
        self.assertEqual(self.emu.sessions(), [], "the session is kicked into the captive page")

        service.with_user(self.billing).action_reactivate()
        self.run_jobs()
        self.assertFalse(self.secret(service)["profile"].endswith("-restricted"))
        self.assertIsNone(
            self.emu.row("/ip/firewall/address-list", comment=f"wisp:{service.login}")
        )

    def test_pause_restricts_terminate_removes(self):
        service = self.new_service(state="active")
        self.run_jobs()
        service.with_user(self.billing).action_pause()
        self.run_jobs()
        self.assertTrue(self.secret(service)["profile"].endswith("-restricted"))
        service.with_user(self.network).action_terminate(reason="Moved away")
        self.run_jobs()
        self.assertIsNone(self.secret(service), "a terminated service leaves nothing behind")

    def test_services_before_activation_are_not_queued(self):
        service = self.new_service(state="confirmed")
        self.assertFalse(self.jobs_of(service))
        service.action_terminate()
        self.assertFalse(self.jobs_of(service))

    def test_plan_change_switches_profile_and_kicks_session(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        faster = make_plan(self.env, "Test Home 50", 50.0, download_kbps=50000, upload_kbps=4000)
        service.plan_id = faster
        self.assertTrue(self.jobs_of(service).filtered(lambda j: j.state == "pending").kick_session)
        self.run_jobs()
        self.assertEqual(self.profile_of(service)["rate-limit"].split()[0], "4000k/50000k")
        self.assertEqual(self.emu.sessions(), [])

    def test_prepaid_plan_is_a_hotspot_user(self):
        service = self.new_service(state="active", plan=self.plan_prepaid)
        self.run_jobs()
        self.assertIsNone(self.secret(service))
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertEqual(user["password"], service.sudo().network_password)

    def test_pending_changes_coalesce_into_one_sync(self):
        service = self.new_service(state="active")
        service.with_user(self.billing).action_suspend()
        service.with_user(self.billing).action_reactivate()
        service.ip_address = "10.9.0.7"
        pending = self.jobs_of(service)
        self.assertEqual(len(pending), 1, "changes fold into the pending job")
        # A second job can still appear (e.g. queued by a concurrent transaction).
        extra = self.Job.create({"service_id": service.id, "router_id": self.router.id})
        self.emu.reset_stats()
        self.run_jobs()
        self.assertEqual(len(self.emu.commands("add")), 2, "one profile and one secret, once")
        self.assertEqual(extra.state, "done")
        self.assertIn("merged", extra.result)
        self.assertEqual(self.secret(service)["remote-address"], "10.9.0.7")

    def test_repeated_sync_writes_nothing(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.reset_stats()
        service.action_sync_network()
        self.run_jobs()
        self.assertEqual(self.emu.writes(), [])
        self.assertEqual(self.jobs_of(service)[0].result, "in sync, nothing written")

    def test_login_change_removes_the_old_login(self):
        service = self.new_service(state="active")
        self.run_jobs()
        old_login = service.login
        service.login = "renamed.user"
        self.run_jobs()
        self.assertIsNone(self.emu.row("/ppp/secret", old_login))
        self.assertTrue(self.emu.row("/ppp/secret", "renamed.user"))

    def test_moving_to_another_router_removes_it_from_the_first(self):
        service = self.new_service(state="active")
        self.run_jobs()
        other = self.router.copy({"name": "Other NAS", "password": "x"})
        self.Job.search([("kind", "=", "reconcile")]).unlink()
        service.router_id = other
        jobs = self.jobs_of(service).filtered(lambda j: j.state == "pending")
        self.assertEqual(jobs.router_id, self.router | other)
        self.Job.search([("router_id", "=", other.id)]).unlink()  # no second emulator here
        self.run_jobs()
        self.assertIsNone(self.secret(service))

    def test_check_connection_names_a_missing_sensitive_policy(self):
        network = self.router.with_user(self.network)
        self.assertEqual(network.action_check_connection()["params"]["type"], "success")
        self.assertEqual(self.router.reachability, "reachable")
        # A group without "sensitive": RouterOS hides every password from it.
        group = self.emu.insert("/user/group", name="wisp-api", policy="read,write,api,!sensitive")
        self.emu.edit("/user", "wisp", group="wisp-api")
        self.addCleanup(self.emu.delete, "/user/group", group)
        self.addCleanup(self.emu.edit, "/user", "wisp", group="full")
        params = network.action_check_connection()["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("'sensitive' policy", params["message"])
        self.assertEqual(self.router.reachability, "error", "a permanent error, not a timeout")


class TestSpeedAddOn(WispNetworkCase):
    """A speed add-on (a holiday boost) raises the router's profile while it is on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boost = cls.env["product.product"].create(
            {
                "name": "Test Boost",
                "type": "service",
                "is_wisp_addon": True,
                "service_type": "internet",
                "download_kbps": 100000,
                "upload_kbps": 0,
            }
        )

    def test_boost_raises_the_speed_and_its_removal_restores_the_plan(self):
        service = self.new_service(state="active")
        self.run_jobs()
        plan_profile = self.secret(service)["profile"]
        self.emu.connect_session(service.login)
        service.addon_ids = [Command.link(self.boost.id)]
        self.run_jobs()
        self.assertNotEqual(self.secret(service)["profile"], plan_profile)
        # the faster of the two each way: the boost's download, the plan's upload
        self.assertEqual(self.profile_of(service)["rate-limit"], "4000k/100000k")
        self.assertEqual(self.emu.sessions(), [], "kicked into the faster profile")

        self.emu.connect_session(service.login)
        service.addon_ids = [Command.unlink(self.boost.id)]
        self.run_jobs()
        self.assertEqual(self.secret(service)["profile"], plan_profile)
        self.assertEqual(self.emu.sessions(), [])

    def test_an_add_on_without_speed_neither_changes_nor_kicks(self):
        service = self.new_service(state="active")
        self.run_jobs()
        profile = self.secret(service)["profile"]
        self.emu.connect_session(service.login)
        static_ip = self.env["product.product"].create(
            {"name": "Test Static IP", "type": "service", "is_wisp_addon": True}
        )
        service.addon_ids = [Command.link(static_ip.id)]
        self.run_jobs()
        self.assertEqual(self.secret(service)["profile"], profile)
        self.assertEqual(len(self.emu.sessions()), 1, "the session stays up")

    def test_fair_use_still_applies_past_the_cap(self):
        service = self.new_service(state="active", plan=self.plan_capped)
        service.addon_ids = [Command.link(self.boost.id)]
        service.sudo().cap_exceeded = True
        _normal, fup = plan_speed_profiles(self.plan_capped)
        self.assertEqual(service._speed_profile(), fup)
