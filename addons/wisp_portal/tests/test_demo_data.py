"""The demo data tells every story out of the box (``bin/wisp run``, no setting): these
run on the demo records themselves, and are skipped on a database without demo data."""

import pathlib
from unittest import SkipTest

from odoo import fields
from odoo.tests import HttpCase, tagged

from .tour_runner import SCREENSHOTS


@tagged("post_install", "-at_install")
# HttpCase: wkhtmltopdf fetches the report's assets from the test server
class TestDemoData(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emma = cls.env.ref("wisp_subscriber.subscriber_01", raise_if_not_found=False)
        if not cls.emma:
            raise SkipTest("no demo data")
        cls.grace = cls.env.ref("wisp_subscriber.subscriber_25")
        cls.suspended = cls.env.ref("wisp_subscriber.service_32")
        cls.provider = cls.env.ref("payment.payment_provider_demo")

    def open_invoices(self, partner):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
            ]
        )

    def test_pay_now_has_the_demo_provider(self):
        """Pay now, wallet top-ups and code purchases find the demo provider."""
        if self.env["ir.module.module"]._get("payment_demo").state != "installed":
            # the demo data enables it when its module is there (bin/wisp run installs it)
            self.skipTest("payment_demo is not installed")
        self.assertEqual((self.provider.code, self.provider.state), ("demo", "test"))
        self.assertTrue(self.provider.is_published)
        invoice = self.open_invoices(self.emma)[:1]
        self.assertTrue(invoice, "the demo subscriber has an invoice to pay")
        Provider = self.env["payment.provider"].sudo()
        for payer in (self.emma, self.env.ref("base.public_partner")):
            compatible = Provider._get_compatible_providers(
                invoice.company_id.id,
                payer.id,
                invoice.amount_residual,
                currency_id=invoice.currency_id.id,
            )
            self.assertIn(self.provider, compatible, payer.name)

    def test_invoice_pdf_renders(self):
        """PDFs work (wkhtmltopdf, which bin/wisp installs); the demo invoice is saved for
        review next to the screenshots."""
        invoice = self.open_invoices(self.emma)[:1]
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", invoice.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pathlib.Path(SCREENSHOTS / "demo-invoice.pdf").write_bytes(pdf)

    def test_overdue_subscriber_suspended_with_a_login(self):
        """A suspended subscriber with a portal login, held by an invoice past its grace
        period, and restricted in what the router must hold: the captive story."""
        user = self.env["res.users"].search([("login", "=", "overdue")])
        self.assertEqual(user.partner_id, self.grace)
        self.assertTrue(user._is_portal())
        self.assertEqual(self.suspended.state, "suspended")
        blocking = self.suspended.blocking_invoice_ids
        self.assertEqual(len(blocking), 1)
        company = blocking.company_id
        today = fields.Date.context_today(blocking)
        self.assertEqual(blocking.payment_state, "not_paid")
        self.assertLess((today - blocking.invoice_date_due).days, 62)
        self.assertGreater((today - blocking.invoice_date_due).days, company.wisp_grace_days)
        state = self.suspended.sudo()._network_states()[self.suspended]
        self.assertTrue(state and state.restricted, "the router holds the login, restricted")

    def test_a_month_of_usage(self):
        """Every active internet service has daily readings for the last 30 days (or since
        it started), and the capped plan stays under its cap."""
        today = fields.Date.context_today(self.emma)
        # the demo's own services (other suites may leave committed services behind)
        demo_ids = (
            self.env["ir.model.data"]
            .search([("module", "=", "wisp_subscriber"), ("model", "=", "wisp.service")])
            .mapped("res_id")
        )
        services = self.env["wisp.service"].search(
            [("id", "in", demo_ids), ("service_type", "=", "internet"), ("state", "=", "active")]
        )
        self.assertTrue(services)
        for service in services:
            days = service.usage_ids.filtered(lambda u, t=today: (t - u.date).days < 30)
            expected = min(30, (today - service.activation_date).days + 1)
            self.assertEqual(len(days), expected, service.name)
            self.assertGreater(service.cycle_usage_gb, 0, service.name)
            if service.data_cap_gb:
                self.assertLess(service.cycle_usage_gb, service.data_cap_gb, service.name)
                self.assertFalse(service.cap_exceeded)

    def test_demo_upsell_campaign(self):
        """The draft campaign to the Home 10 segment offers Home 25 and carries each
        subscriber's referral link."""
        segment = self.env.ref("wisp_portal.segment_home_10_upsell")
        mailing = self.env.ref("wisp_portal.mailing_home_25_offer")
        home_25 = self.env.ref("wisp_subscriber.plan_home_25")
        self.assertEqual(mailing.state, "draft")
        self.assertEqual(mailing.mailing_domain, segment.mailing_domain)
        recipients = self.env["res.partner"].browse(mailing._get_recipients())
        self.assertTrue(recipients)
        self.assertEqual(recipients.mapped("wisp_plan_ids") & segment.plan_ids, segment.plan_ids)
        self.assertIn(f"/my/plan-offer?plan_id={home_25.id}", mailing.body_html)
        body = mailing._render_field("body_html", recipients[:1].ids)[recipients[:1].id]
        self.assertIn(recipients[:1].wisp_referral_link, body)

    def test_usage_charged_past_the_cap(self):
        """A per-GB plan's last cycle, 12.4 GB past its 100 GB: 13 started GB at 2.00,
        on the account's invoice (the demo's first billing run charges it when it runs
        after the period exists; a database updated since has it waiting)."""
        period = self.env.ref("wisp_subscriber.service_13_usage_period")
        self.assertEqual(period.plan_id.data_cap_policy, "overage")
        self.assertEqual((period.over_mb, period.overage_quantity), (12_400.0, 13.0))
        self.assertEqual(period.overage_amount, 26.0)
        self.assertIn(period.state, ("closed", "invoiced"))
        if period.state == "invoiced":
            self.assertEqual(period.invoice_line_ids.quantity, 13.0)
