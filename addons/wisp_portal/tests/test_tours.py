"""The end-to-end stories of the brief, clicked through in headless Chromium
(tours in ``static/tests/tours/wisp_portal_tours.js``), then checked in the
database and on the emulated router. Each story also saves screenshots of its
key pages at desktop and phone width (see ``tour_runner.py``)."""

from unittest import SkipTest

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import WispPortalCase
from .tour_runner import TourRunnerMixin


@tagged("post_install", "-at_install")
class TestPortalTours(TourRunnerMixin, WispPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The browser pays on a provider's own form: Odoo's demo provider's, as
        # website_sale's checkout tours need payment_custom's. Without payment_demo
        # (the addon installed alone) the paying stories skip; the server-side
        # suites cover the same payments with the dummy provider.
        cls.form_provider = cls.env["payment.provider"]
        if cls.env["ir.module.module"]._get("payment_demo").state == "installed":
            cls.form_provider = cls._prepare_provider(
                "demo", update_values={"allow_tokenization": True, "is_published": True}
            )
            cls.form_provider.journal_id = cls.bank_journal

    def skip_without_form_provider(self):
        if not self.form_provider:
            self.skipTest("payment_demo is not installed: no provider form to pay on")

    def test_prepaid_hotspot_buy_and_redeem(self):
        """Prepaid hotspot: buy a code by card, redeem it -> the router grants access."""
        self.skip_without_form_provider()
        self.capture("/hotspot", "hotspot")
        self.start_tour(
            "/hotspot?link-login-only=http://10.5.50.1/login&dst=http://example.com/",
            "wisp_portal_hotspot",
        )
        self.env.invalidate_all()
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
        self.skip_without_form_provider()
        service, invoice = self.overdue_service(self.alice)
        self.capture("/captive", "captive")
        self.start_tour("/captive", "wisp_portal_overdue")
        self.env.invalidate_all()
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

    def test_residential_pay_save_card_service_active(self):
        """Residential: log in, pay the open invoice, save the card, see the service active,
        turn autopay on with that card."""
        self.skip_without_form_provider()
        service = self.new_service(self.alice)
        self.run_jobs()
        invoice = self.env["account.move"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual(len(invoice), 1, "activation in advance made the first invoice")
        self.capture("/my/services", "dashboard", login="alice")
        self.start_tour("/web/login", "wisp_portal_residential")
        self.env.invalidate_all()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        token = self.env["payment.token"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual(len(token), 1, "the card was saved as a payment token")
        self.assertEqual(service.state, "active")
        self.assertTrue(self.alice.wisp_autopay)
        self.assertEqual(self.alice.wisp_autopay_token_id, token, "autopay charges that card")

    def test_enterprise_consolidated_view_and_invoice(self):
        """Enterprise: branches rolled up, per-service breakdown, one consolidated invoice."""
        company = self.env["res.partner"].create(
            {
                "name": "Carol Logistics",
                "is_company": True,
                "street": "1 Harbour Road",
                "city": "Relay",
                "wisp_billing_mode": "advance",
                "property_product_pricelist": False,
            }
        )
        carol = self._portal_user("carol", "Carol Admin")
        carol.partner_id.parent_id = company
        branches = self.env["res.partner"].create(
            [
                {"name": name, "parent_id": company.id, "type": "other", "street": street}
                for name, street in (("North Depot", "2 North St"), ("South Yard", "9 South St"))
            ]
        )
        services = self.env["wisp.service"].create(
            [
                {
                    "partner_id": company.id,
                    "address_id": branch.id,
                    "plan_id": plan.id,
                    "service_type": "internet",
                    "site_id": self.site.id,
                }
                for branch in branches
                for plan in (self.plan_20, self.plan_50)
            ]
        )
        services.action_confirm()
        services.action_activate()
        invoice = self.env["account.move"].search([("partner_id", "=", company.id)])
        self.assertEqual(len(invoice), 1, "one consolidated invoice for the four services")
        self.capture("/my/services", "dashboard-enterprise", login="carol")
        self.assertEqual(
            self.cut_off_at_phone_width(
                "/my/services",
                [".o_wisp_address_monthly", ".o_wisp_address_state", "#o_wisp_monthly_total"],
                login="carol",
            ),
            [],
            "a phone shows each site's amount and status without scrolling sideways",
        )
        self.start_tour("/web/login?redirect=/my/services", "wisp_portal_enterprise")

    # midday: "today" is the same date in UTC and in the subscriber's time zone
    @freeze_time("2026-11-18 12:00:00", tick=True)
    def test_plan_change_with_proration(self):
        """Plan change: the prorated preview, then the change as the billing rules say."""
        service = self.new_service(self.alice)
        self.plan_50.name = "Tour Fifty"  # a name no demo plan shares
        # "today" in the subscriber's time zone, as the page computes it
        preview = service.with_context(tz=self.alice_user.tz)._wisp_plan_change_preview(
            self.plan_50
        )
        self.start_tour("/web/login?redirect=/my/services", "wisp_portal_plan_change")
        self.env.invalidate_all()
        self.assertEqual(service.plan_id, self.plan_50)
        credit = -sum(service.billing_adjustment_ids.mapped("amount"))
        self.assertAlmostEqual(credit, preview["credit"])

    def test_phone_width_keeps_amounts_status_and_pay_now(self):
        """At phone width the invoice list and the dashboard show each amount, status and
        Pay now without scrolling sideways."""
        self.new_service(self.alice)
        self.capture("/my/invoices", "invoices", login="alice")
        invoice_cells = [
            "td[name='invoice_amount']",
            "td[name='invoice_status'] .badge",
            "a.btn[href*='payment=True']",
        ]
        self.assertEqual(self.cut_off_at_phone_width("/my/invoices", invoice_cells, "alice"), [])
        # the status badge sits under the Status header
        status_under_header = """(() => {
            const header = document.querySelector("th[name='status']").getBoundingClientRect();
            const badge = document.querySelector("td[name='invoice_status'] .badge")
                .getBoundingClientRect();
            const middle = (badge.left + badge.right) / 2;
            return header.left <= middle && middle <= header.right;
        })()"""
        self.assertTrue(self.evaluate_at_phone_width("/my/invoices", status_under_header, "alice"))
        dashboard = [
            "#o_wisp_balance_due",
            ".o_wisp_open_invoice .o_wisp_invoice_amount",
            ".o_wisp_open_invoice .o_wisp_pay_link",
            ".o_wisp_service_card .o_wisp_service_state",
            ".o_wisp_service_card .o_wisp_service_price",
        ]
        self.assertEqual(self.cut_off_at_phone_width("/my/services", dashboard, "alice"), [])
        self.alice._wisp_wallet_grant(7.0, "promo", "Welcome credit for the new subscriber")
        self.capture("/my/wallet", "wallet", login="alice")
        wallet = ["#o_wisp_wallet_balance", ".o_wisp_wallet_movement td.text-success"]
        self.assertEqual(self.cut_off_at_phone_width("/my/wallet", wallet, "alice"), [])


@tagged("post_install", "-at_install")
class TestDemoTours(TourRunnerMixin, HttpCase):
    """The demo data as `bin/wisp run` serves it, without any setting: the demo logins,
    the demo payment provider, the demo usage and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("wisp_subscriber.user_overdue_portal", raise_if_not_found=False):
            raise SkipTest("no demo data")
        # the demo's Pay now story pays on Odoo's demo provider, which the demo data
        # enables when payment_demo is installed (bin/wisp run installs it)
        if cls.env["ir.module.module"]._get("payment_demo").state != "installed":
            raise SkipTest("payment_demo is not installed")

    def test_demo_subscriber_usage_and_pay_now(self):
        """The demo subscriber sees usage charts with data and pays with the demo provider."""
        self.capture("/my/services", "demo-dashboard", login="subscriber")
        emma = self.env.ref("wisp_subscriber.subscriber_01")
        invoices = self.env["account.move"].search(
            [("partner_id", "=", emma.id), ("payment_state", "=", "not_paid")]
        )
        self.start_tour("/web/login?redirect=/my/services", "wisp_portal_demo_subscriber")
        self.env.invalidate_all()
        self.assertIn(invoices[:1].payment_state, ("paid", "in_payment"))

    def test_demo_suspended_login_captive_pay_now(self):
        """The suspended demo login lands on the captive page, pays, and is restored."""
        service = self.env.ref("wisp_subscriber.service_32")
        invoice = service.blocking_invoice_ids
        self.capture("/captive", "demo-captive", login="overdue")
        self.start_tour("/web/login?redirect=/captive", "wisp_portal_demo_captive")
        self.env.invalidate_all()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(service.state, "active")
