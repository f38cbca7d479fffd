from datetime import timedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_prepaid_plan
from odoo.tools import mute_logger

from .common import WispNetworkCase


class TestTimePasses(WispNetworkCase):
    """A time pass on a RouterOS hotspot: the router counts its online time
    (``limit-uptime``) and its first login starts the pass in the suite."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hour_pass = make_prepaid_plan(cls.env, "Test 2 Hours", duration=2, unit="hours")

    def start_passes(self):
        self.env["wisp.service"]._cron_start_prepaid_passes(commit=False)

    def test_limit_uptime_and_first_login(self):
        service = self.new_service(state="active", plan=self.hour_pass)
        self.run_jobs()
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertEqual(user["limit-uptime"], "2h")
        self.start_passes()
        self.assertFalse(service.expiry_datetime, "no session yet: the pass waits")

        # put on an hour ago; the subscriber connected 5 minutes ago
        service.sudo().prepaid_pending_since = fields.Datetime.now() - timedelta(hours=1)
        self.emu.connect_session(service.login)
        self.emu.advance(300)
        self.start_passes()
        self.assertAlmostEqual(
            service.pass_started,
            fields.Datetime.now() - timedelta(seconds=300),
            delta=timedelta(seconds=5),
        )
        self.assertEqual(service.expiry_datetime, service.pass_started + timedelta(hours=2))
        self.assertEqual(self.router.reachability, "reachable")

        # the router ends the session at the limit, whatever the suite's crons do
        self.emu.advance(2 * 3600)
        self.assertEqual(self.emu.sessions(), [])
        # a second pass raises the router's total at once: the login gets back on
        service._wisp_add_prepaid_time(3600)
        self.run_jobs()
        self.assertEqual(self.emu.row("/ip/hotspot/user", service.login)["limit-uptime"], "3h")
        self.emu.connect_session(service.login)

    def test_unreachable_router_leaves_the_pass_waiting(self):
        service = self.new_service(state="active", plan=self.hour_pass)
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.emu.set_refuse(True)
        with mute_logger("odoo.addons.wisp_network.models.wisp_service"):
            self.start_passes()
        self.assertFalse(service.expiry_datetime)
        self.assertEqual(self.router.reachability, "unreachable")
        self.emu.set_refuse(False)
        self.start_passes()
        self.assertTrue(service.expiry_datetime, "started on the next run")

    def test_router_fields_of_the_pass(self):
        service = self.new_service(state="active", plan=self.hour_pass)
        self.assertEqual(service.sudo()._network_states()[service].uptime_limit_s, 7200)
        monthly = self.new_service(state="active")
        self.assertEqual(monthly.sudo()._network_states()[monthly].uptime_limit_s, 0)
        service.action_suspend()
        self.assertEqual(service.sudo()._network_states()[service].uptime_limit_s, 0)
