from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .test_hotspot import HotspotCase


@tagged("post_install", "-at_install")
class TestVoucherExpiryNetwork(HotspotCase):
    """A code's access ends on the router when its time is up (wisp_billing + wisp_network)."""

    def test_expired_code_loses_router_access(self):
        voucher = self.vouchers[0]
        self.assertEqual(self.redeem(voucher.code).status_code, 200)
        service = voucher.service_id
        self.run_jobs()
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertFalse(user["profile"].endswith("-restricted"))
        self.assertEqual(user["limit-uptime"], "1d")
        # no login yet: the day has not started, whatever the crons do
        self.env["wisp.service"]._cron_start_prepaid_passes(commit=False)
        self.assertFalse(service.expiry_datetime)

        # the first login seen on the router starts the day: 24 hours from it
        service.sudo().prepaid_pending_since = fields.Datetime.now() - timedelta(hours=1)
        self.emu.connect_session(service.login)
        self.emu.advance(120)
        self.env["wisp.service"]._cron_start_prepaid_passes(commit=False)
        first_login = service.pass_started
        self.assertAlmostEqual(
            first_login, fields.Datetime.now() - timedelta(seconds=120), delta=timedelta(seconds=5)
        )
        self.assertEqual(service.expiry_datetime, first_login + timedelta(days=1))
        self.assertEqual(voucher.expiry_datetime, service.expiry_datetime)
        self.assertEqual(self.emu.sessions(), [service.login])

        with freeze_time(service.expiry_datetime - timedelta(minutes=1)):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.env["wisp.voucher"]._cron_expire()
            self.run_jobs()
        self.assertEqual((service.state, voucher.state), ("active", "active"))

        with freeze_time(service.expiry_datetime + timedelta(minutes=1)):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.env["wisp.voucher"]._cron_expire()
            self.run_jobs()
        self.assertEqual(service.state, "suspended")
        self.assertEqual(voucher.state, "expired")
        # suspended hotspot users are kept on the restricted twin profile: the router puts
        # them in the walled garden (address list) and their session is kicked
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertTrue(user["profile"].endswith("-restricted"))
        self.assertNotIn("limit-uptime", user, "the walled garden holds it, not the clock")
        profile = self.emu.row("/ip/hotspot/user/profile", user["profile"])
        self.assertEqual(profile["address-list"], "wisp-restricted")
        self.assertEqual(self.emu.sessions(), [])
