from datetime import datetime, time, timedelta

from freezegun import freeze_time

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
        self.emu.connect_session(service.login)
        self.assertEqual(len(self.emu.sessions()), 1)

        # the last day of the code still grants access
        with freeze_time(service.expiry_date):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.env["wisp.voucher"]._cron_expire()
            self.run_jobs()
        self.assertEqual((service.state, voucher.state), ("active", "active"))

        the_day_after = datetime.combine(service.expiry_date, time(1)) + timedelta(days=1)
        with freeze_time(the_day_after):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.env["wisp.voucher"]._cron_expire()
            self.run_jobs()
        self.assertEqual(service.state, "suspended")
        self.assertEqual(voucher.state, "expired")
        # suspended hotspot users are kept on the restricted twin profile: the router puts
        # them in the walled garden (address list) and their session is kicked
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertTrue(user["profile"].endswith("-restricted"))
        profile = self.emu.row("/ip/hotspot/user/profile", user["profile"])
        self.assertEqual(profile["address-list"], "wisp-restricted")
        self.assertEqual(self.emu.sessions(), [])
