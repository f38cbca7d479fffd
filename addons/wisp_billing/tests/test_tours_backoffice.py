"""The billing clerk's day clicked through in headless Chromium as a user with
only the WISP Billing Clerk role (``static/tests/tours/wisp_billing_tour.js``),
failing on the first error dialog; then the invoice PDF as that clerk."""

import json

from odoo import fields, http
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingTour(WispBillingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env,
            login="t_tour_billing",
            groups="wisp_subscriber.group_wisp_billing",
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id],
        )

    def test_billing_run_payment_and_invoice_pdf(self):
        self.assertTrue(self.clerk.has_group("account.group_account_invoice"))
        payer = self.env["res.partner"].create(
            {"name": "Tour Payer", "wisp_billing_mode": "advance"}
        )
        self.new_service(partner=payer)
        invoice = self.invoices(payer)
        self.assertEqual((len(invoice), invoice.state), (1, "posted"))
        due = self.env["res.partner"].create({"name": "Tour Due", "wisp_billing_mode": "advance"})
        self.new_service(partner=due)
        due.wisp_next_billing_date = fields.Date.context_today(due)
        runs_before = self.env["wisp.billing.run"].search([])

        self.start_tour(
            f"/odoo/action-wisp_subscriber.res_partner_action_wisp_subscriber/{payer.id}",
            "wisp_billing_day",
            login=self.clerk.login,
        )

        run = self.env["wisp.billing.run"].search([]) - runs_before
        self.assertEqual(run.chunk_ids.partner_ids, due)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.matched_payment_ids.create_uid, self.clerk)

        # The invoice PDF as the clerk, the way the web client's Print downloads it, and
        # rendered by wkhtmltopdf (tests otherwise get Odoo's HTML fallback, hence
        # force_report_rendering). The report styles are built first: wkhtmltopdf fetches
        # them from this server, where a test cannot build them on a read-only request.
        for bundle in ("web.report_assets_common", "web.report_assets_pdf"):
            self.env["ir.qweb"]._get_asset_bundle(bundle, js=False, autoprefix=True).css()
        self.authenticate(self.clerk.login, self.clerk.login)
        response = self.url_open(
            "/report/download",
            data={
                "data": json.dumps(
                    [f"/report/pdf/account.report_invoice/{invoice.id}", "qweb-pdf"]
                ),
                "context": json.dumps({"force_report_rendering": True}),
                "csrf_token": http.Request.csrf_token(self),
            },
            timeout=120,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
