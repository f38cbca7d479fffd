from datetime import timedelta

from freezegun import freeze_time

from odoo import fields, http
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.tests import tagged

from .common import WispPortalCase


@tagged("post_install", "-at_install")
# midday: "today" is the same date in UTC and in the subscriber's time zone
@freeze_time("2026-11-18 12:00:00", tick=True)
class TestPortalPlanChange(WispPortalCase):
    def setUp(self):
        super().setUp()
        self.service = self.new_service(self.alice, self.plan_20)
        self.bob_service = self.new_service(self.bob, self.plan_20)
        self.url = f"/my/services/{self.service.id}/plan"
        self.authenticate("alice", "alice")

    def post(self, url=None, csrf=True, **data):
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open(url or self.url, data=data, allow_redirects=False)

    def assert_unchanged(self, service=None):
        service = service or self.service
        service.invalidate_recordset()
        self.assertEqual(service.plan_id, self.plan_20)
        self.assertFalse(service.next_plan_id)
        self.assertFalse(service.billing_adjustment_ids)

    def test_page_lists_compatible_plans_with_preview(self):
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        body = response.text
        self.assertIn(f'data-plan-id="{self.plan_50.id}"', body)
        self.assertNotIn(f'data-plan-id="{self.plan_prepaid.id}"', body)
        self.assertNotIn(f'data-plan-id="{self.plan_20.id}"', body, "not the current plan")
        preview = self.service._wisp_plan_change_preview(self.plan_50)
        self.assertIn("o_wisp_plan_preview_now", body)
        self.assertIn("o_wisp_plan_preview_next", body)
        self.assertIn(f"{preview['net']:.2f}", body)
        self.assertNotIn(self.service.sudo().network_password, body)

    def test_change_now_invoices_what_the_preview_said(self):
        today = fields.Date.context_today(self.service)
        preview = self.service._wisp_plan_change_preview(self.plan_50, today)
        response = self.post(plan_id=str(self.plan_50.id), when="now")
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            f"/my/services/{self.service.id}?message=plan_changed", response.headers["Location"]
        )
        self.service.invalidate_recordset()
        self.assertEqual(self.service.plan_id, self.plan_50)
        adjustments = self.service.billing_adjustment_ids
        self.assertAlmostEqual(-sum(adjustments.mapped("amount")), preview["credit"])
        # the next billing run charges the new plan from today on, with the credit
        next_date = self.alice.wisp_next_billing_date
        with freeze_time(next_date):
            invoice = self.env["wisp.billing.run"]._bill_subscribers(self.alice, next_date)
        lines = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.wisp_service_id == self.service
        )
        charge = lines.filtered(lambda line: not line.wisp_adjustment_id)
        self.assertEqual(charge.wisp_period_start, today)
        next_cycle_end = self.alice._wisp_current_cycle(next_date)[1]
        regular = sum(
            line["price_unit"]
            for line in self.service._wisp_charge_lines(next_date, next_cycle_end)
        )
        self.assertAlmostEqual(charge.price_subtotal - regular, preview["charge"])
        self.assertAlmostEqual(invoice.amount_total - regular, preview["net"])
        body = self.url_open(response.headers["Location"]).text
        self.assertIn("o_wisp_service_message", body)
        self.assertIn("Home 50", body)

    def test_preview_with_tax_is_what_the_invoice_adds(self):
        """Where prices are shown tax included, the preview's amounts carry the taxes the
        invoice puts on the credit and the charge."""
        tax = self.env["account.tax"].create(
            {
                "name": "Plan change VAT 10",
                "amount": 10.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        (self.plan_20 | self.plan_50).taxes_id = tax
        today = fields.Date.context_today(self.service)
        preview = self.service._portal_plan_change_preview(self.alice, self.plan_50, today)
        untaxed = self.service._wisp_plan_change_preview(self.plan_50, today)
        self.assertTrue(untaxed["credit"] and untaxed["charge"])
        self.assertAlmostEqual(preview["charge"], untaxed["charge"] * 1.1, delta=0.01)
        self.assertAlmostEqual(preview["credit"], untaxed["credit"] * 1.1, delta=0.01)
        body = self.url_open(self.url).text
        self.assertIn(f"{preview['net']:.2f}", body)
        self.assertIn("incl. tax", body)

        self.assertEqual(self.post(plan_id=str(self.plan_50.id), when="now").status_code, 303)
        next_date = self.alice.wisp_next_billing_date
        with freeze_time(next_date):
            invoice = self.env["wisp.billing.run"]._bill_subscribers(self.alice, next_date)
        next_cycle_end = self.alice._wisp_current_cycle(next_date)[1]
        regular = sum(
            line["price_unit"]
            for line in self.service._wisp_charge_lines(next_date, next_cycle_end)
        )
        self.assertAlmostEqual(invoice.amount_total - regular * 1.1, preview["net"], delta=0.02)

    def test_change_at_next_cycle_is_scheduled(self):
        response = self.post(plan_id=str(self.plan_50.id), when="next_cycle")
        self.assertEqual(response.status_code, 303)
        self.assertIn("message=plan_scheduled", response.headers["Location"])
        self.service.invalidate_recordset()
        self.assertEqual(self.service.plan_id, self.plan_20)
        self.assertEqual(self.service.next_plan_id, self.plan_50)
        self.assertEqual(self.service.plan_change_date, self.alice.wisp_next_billing_date)
        self.assertFalse(self.service.billing_adjustment_ids)

    def test_bad_input_is_refused_with_a_clear_error(self):
        iptv = make_plan(self.env, "TV Basic", 10.0, service_type="iptv")
        cases = [
            ({"plan_id": "fifty", "when": "now"}, "Choose one of the plans listed."),
            ({"when": "now"}, "Choose one of the plans listed."),
            ({"plan_id": "999999999", "when": "now"}, "This plan is not available"),
            ({"plan_id": str(self.plan_prepaid.id), "when": "now"}, "This plan is not available"),
            ({"plan_id": str(iptv.id), "when": "now"}, "This plan is not available"),
            ({"plan_id": str(self.plan_20.id), "when": "now"}, "already on this plan"),
            ({"plan_id": str(self.plan_50.id), "when": "yesterday"}, "Choose when the change"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self.post(**data)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
                self.assertIn('id="o_wisp_plan_form"', response.text, "the form is shown again")
                self.assert_unchanged()

    def test_post_without_csrf_is_refused(self):
        response = self.post(csrf=False, plan_id=str(self.plan_50.id), when="now")
        self.assertEqual(response.status_code, 400)
        self.assert_unchanged()

    def test_foreign_service_is_not_found(self):
        url = f"/my/services/{self.bob_service.id}/plan"
        response = self.post(url, plan_id=str(self.plan_50.id), when="now")
        self.assert_refused(response)
        self.assertNotIn(self.bob_service.name, response.text)
        self.assert_unchanged(self.bob_service)

    def test_blocked_service_cannot_change_plan(self):
        self.service.action_suspend(reason="Invoice overdue")
        response = self.post(plan_id=str(self.plan_50.id), when="now")
        self.assertEqual(response.status_code, 400)
        self.assertIn("cannot be changed online", response.text)
        self.assert_unchanged()

    def test_next_cycle_already_due(self):
        self.alice.wisp_next_billing_date = fields.Date.context_today(self.alice) - timedelta(
            days=1
        )
        body = self.url_open(self.url).text
        self.assertNotIn("o_wisp_plan_preview_next", body, "the next cycle is now")
