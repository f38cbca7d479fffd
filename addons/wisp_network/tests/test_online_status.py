from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError

from .common import WispNetworkCase


class TestOnlineStatus(WispNetworkCase):
    """The subscriber header's online status: traffic counted on a running service."""

    def collect(self):
        self.env["wisp.service.usage"]._cron_collect(commit=False)

    def online_state(self, at=None):
        partner = self.subscriber.with_user(self.support)
        partner.invalidate_recordset(["wisp_online_state"])
        if at is None:
            return partner.wisp_online_state
        with freeze_time(at):
            return partner.wisp_online_state

    def test_traffic_means_online_until_two_readings_without(self):
        self.assertEqual(self.online_state(), "unknown", "no running service")
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.emu.add_traffic(service.login, upload=10**6, download=10**6)
        before = fields.Datetime.now()
        self.collect()
        self.assertGreaterEqual(service.last_traffic_date, before)
        self.assertEqual(self.router.reachability, "reachable")
        self.assertEqual(self.online_state(), "online")
        # a reading with the counters unchanged keeps the last traffic time
        seen = service.last_traffic_date
        self.collect()
        self.assertEqual(service.last_traffic_date, seen)
        self.assertEqual(self.online_state(seen + timedelta(minutes=119)), "online")
        self.assertEqual(self.online_state(seen + timedelta(hours=3)), "offline")

    def test_an_open_session_at_the_last_poll_means_online(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.env["wisp.router"]._cron_poll(commit=False)
        self.assertFalse(service.last_traffic_date, "no traffic counted yet")
        self.assertEqual(self.online_state(), "online")
        self.emu.delete("/ppp/active", self.emu.row("/ppp/active", name=service.login)[".id"])
        self.env["wisp.router"]._cron_poll(commit=False)
        self.assertEqual(self.online_state(), "offline")

    def test_unknown_when_the_router_cannot_say(self):
        service = self.new_service(state="active")
        self.assertEqual(self.router.reachability, "unknown")
        self.assertEqual(self.online_state(), "unknown")
        self.router.sudo().write({"reachability": "reachable"})
        self.assertEqual(self.online_state(), "offline")
        self.router.sudo().write({"reachability": "unreachable"})
        self.assertEqual(self.online_state(), "unknown")
        service.action_suspend(reason="unpaid")
        self.router.sudo().write({"reachability": "reachable"})
        self.assertEqual(self.online_state(), "unknown", "a cut-off service is not expected online")

    def test_staff_only_and_not_writable(self):
        service = self.new_service(state="active")
        portal = make_portal_user(self.env, "t_online_portal", self.subscriber)
        with self.assertRaises(AccessError):
            self.subscriber.with_user(portal).read(["wisp_online_state"])
        with self.assertRaises(AccessError):
            service.with_user(self.network).write({"last_traffic_date": fields.Datetime.now()})
