from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestPlanChangePreview(WispBillingCase):
    """The preview shown before a plan change is what the billing then invoices."""

    def invoiced_for_change(self, invoice, service, next_cycle):
        """(credit, charge) the change put on ``invoice``: the adjustment lines
        (credits of the old plan) and the charge lines of ``service`` minus the
        regular charge of ``next_cycle`` (start, end) at the new plan."""
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        sign = -1 if invoice.move_type == "out_refund" else 1
        credit = -sign * sum(lines.filtered("wisp_adjustment_id").mapped("price_subtotal"))
        charged = sign * sum(
            (lines - lines.filtered("wisp_adjustment_id")).mapped("price_subtotal")
        )
        regular = sum(line["price_unit"] for line in service._wisp_charge_lines(*next_cycle))
        return round(credit, 2), round(charged - regular, 2)

    def assert_preview_invoiced(self, service, plan, day):
        with freeze_time(day):
            preview = service._wisp_plan_change_preview(plan, day)
            self.assertFalse(service.billing_adjustment_ids, "a preview changes nothing")
            service.action_change_plan(plan)
        with freeze_time("2026-05-01"):
            invoice = self.bill(D(2026, 5, 1))
        credit, charge = self.invoiced_for_change(invoice, service, (D(2026, 5, 1), D(2026, 5, 31)))
        self.assertAlmostEqual(preview["credit"], credit)
        self.assertAlmostEqual(preview["charge"], charge)
        self.assertAlmostEqual(preview["net"], round(charge - credit, 2))
        return preview

    def test_mid_cycle_upgrade(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()  # April billed in advance at 31
        preview = self.assert_preview_invoiced(service, self.plan_62, D(2026, 4, 11))
        self.assertEqual(
            (preview["start"], preview["end"], preview["days"]),
            (D(2026, 4, 11), D(2026, 4, 30), 20),
        )
        self.assertAlmostEqual(preview["credit"], round(31 * 20 / 30, 2))
        self.assertAlmostEqual(preview["charge"], round(62 * 20 / 30, 2))
        self.assertEqual(preview["currency"], self.company.currency_id)

    def test_mid_cycle_upgrade_with_a_promotion(self):
        """The discount given back for the days credited and the new plan's discount
        are in the preview as on the invoice."""
        with freeze_time("2026-04-01"):
            service = self.new_service(state="confirmed")
            half = self.env["wisp.promotion"].create(
                {"name": "Half", "value": 50, "duration_cycles": 3}
            )
            self.env["wisp.service.promotion"].create(
                {"service_id": service.id, "promotion_id": half.id}
            )
            service.action_activate()  # April billed in advance at 15.50
        preview = self.assert_preview_invoiced(service, self.plan_62, D(2026, 4, 11))
        self.assertAlmostEqual(preview["credit"], round(31 * 20 / 30, 2) - round(31 * 20 / 60, 2))
        self.assertAlmostEqual(preview["charge"], round(62 * 20 / 30, 2) - round(62 * 20 / 60, 2))

    def test_mid_cycle_downgrade_with_addon(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(
                plan=self.plan_62, addon_ids=[Command.set(self.addon_ip.ids)]
            )
        preview = self.assert_preview_invoiced(service, self.plan_31, D(2026, 4, 16))
        # the add-on is credited and charged again: only the plan difference remains
        self.assertAlmostEqual(preview["credit"], 31.0 + 2.5)
        self.assertAlmostEqual(preview["charge"], 15.5 + 2.5)
        self.assertAlmostEqual(preview["net"], -15.5)

    def test_change_at_next_cycle(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        next_date = self.subscriber.wisp_next_billing_date
        self.assertEqual(next_date, D(2026, 5, 1))
        with freeze_time("2026-04-20"):
            preview = service._wisp_plan_change_preview(self.plan_62, next_date)
            service.action_change_plan(self.plan_62, effective_date=next_date)
        self.assertEqual(
            (preview["credit"], preview["charge"], preview["start"], preview["end"]),
            (0.0, 62.0, D(2026, 5, 1), D(2026, 5, 31)),
        )
        with freeze_time("2026-05-01"):
            self.env["wisp.service"]._cron_apply_plan_changes()
            may = self.bill(D(2026, 5, 1))
        self.assertAlmostEqual(may.amount_total, preview["net"])

    def test_unbilled_service_changes_at_no_cost(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(state="confirmed")
            preview = service._wisp_plan_change_preview(self.plan_62)
        self.assertEqual((preview["credit"], preview["charge"], preview["days"]), (0.0, 0.0, 0))
