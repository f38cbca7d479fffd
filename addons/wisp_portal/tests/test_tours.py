"""The end-to-end stories of the brief, clicked through in headless Chromium
(tours in ``static/tests/tours/wisp_portal_tours.js``), then checked in the
database and on the emulated router. Each story also saves screenshots of its
key pages at desktop and phone width (see ``tour_runner.py``)."""

from odoo.tests import tagged

from .common import WispPortalCase
from .tour_runner import TourRunnerMixin


@tagged("post_install", "-at_install")
class TestPortalTours(TourRunnerMixin, WispPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo.write({"state": "test", "is_published": True})

    def test_prepaid_hotspot_buy_and_redeem(self):
        """Prepaid hotspot: buy a code by card, redeem it -> the router grants access."""
        self.capture("/hotspot", "hotspot")
        self.start_tour(
            "/hotspot?link-login-only=http://10.5.50.1/login&dst=http://example.com/",
            "wisp_portal_hotspot",
        )
        purchase = self.env["wisp.voucher.purchase"].search([("email", "=", "visitor@example.com")])
        self.assertEqual(purchase.state, "delivered")
        self.assertIn(purchase.invoice_id.payment_state, ("paid", "in_payment"))
        voucher = purchase.voucher_id
        self.assertEqual(voucher.state, "active")
        service = voucher.service_id
        self.assertEqual(service.state, "active")
        self.run_jobs()
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertTrue(user, "the router holds the new hotspot user")

    def test_overdue_captive_pay_restores_access(self):
        """Overdue: captive page -> pay -> access restored and the router job done."""
        service, invoice = self.overdue_service(self.alice)
        self.capture("/captive", "captive")
        self.start_tour("/captive", "wisp_portal_overdue")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(service.state, "active")
        self.run_jobs()
        self.assertFalse(self.router_secret(service)["profile"].endswith("-restricted"))
        status_url = (
            f"/captive/status?invoice_id={invoice.id}&access_token={invoice._portal_ensure_token()}"
        )
        page = self.url_open(status_url).text
        self.assertRegex(page, r'id="o_wisp_captive_status"[^>]*data-status="restored"')
        self.capture(status_url, "captive-restored")
