from freezegun import freeze_time

from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.tests import tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingRulesTerms(WispBillingCase):
    """A minimum term runs from activation; terminating before its end adds the
    early-termination fee to the final invoice, computed on the day of termination."""

    def committed_plan(self, fee_type, months=12, **fee):
        return make_plan(
            self.env,
            f"Committed {fee_type}",
            62.0,
            taxes_id=[],
            download_kbps=50000,
            upload_kbps=10000,
            wisp_minimum_term_months=months,
            wisp_termination_fee_type=fee_type,
            **fee,
        )

    def fees(self, service):
        return service.billing_adjustment_ids.filtered(
            lambda adj: adj.product_id == self.env.ref("wisp_billing.product_early_termination_fee")
        )

    def test_fixed_fee_on_the_final_invoice(self):
        plan = self.committed_plan("fixed", wisp_termination_fee_amount=100.0)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=plan)
        self.assertEqual(service.wisp_term_end, D(2027, 3, 31))
        for day in (D(2026, 5, 1), D(2026, 6, 1)):
            with freeze_time(day):
                self.bill(day)
        with freeze_time("2026-06-10"):
            self.assertEqual(service.wisp_early_termination_fee, 100.0, "shown before")
            service.action_terminate()
        fee = self.fees(service)
        self.assertEqual(
            (fee.amount, fee.date_from, fee.date_to), (100.0, D(2026, 6, 10), D(2027, 3, 31))
        )
        with freeze_time("2026-07-01"):
            final = self.bill(D(2026, 7, 1))
        self.assertIn(fee, final.invoice_line_ids.wisp_adjustment_id)
        # June billed in advance: 21 days of 30 credited back, then the fee
        self.assertAlmostEqual(final.amount_untaxed, round(100.0 - 62.0 * 21 / 30, 2))

    def test_share_of_the_remaining_term_is_prorated(self):
        plan = self.committed_plan("percent", months=6, wisp_termination_fee_percent=25)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=plan)
        self.assertEqual(service.wisp_term_end, D(2026, 9, 30))
        with freeze_time("2026-08-16"):
            service.action_terminate()
        # 16 August - 30 September: 62 x 16/31 + 62 = 94, a quarter of it
        self.assertEqual(self.fees(service).amount, 23.5)

    def test_no_fee_once_the_term_is_over(self):
        plan = self.committed_plan("fixed", months=3, wisp_termination_fee_amount=100.0)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=plan)
        with freeze_time("2026-06-30"):
            self.assertEqual(service.wisp_early_termination_fee, 100.0, "the term's last day")
        with freeze_time("2026-07-01"):
            service.invalidate_recordset(["wisp_early_termination_fee"])  # a new day
            self.assertFalse(service.wisp_early_termination_fee)
            service.action_terminate()
        self.assertFalse(self.fees(service))

    def test_no_term_no_fee_and_a_plan_change_keeps_the_term_and_its_fee(self):
        plan = self.committed_plan("fixed", wisp_termination_fee_amount=100.0)
        with freeze_time("2026-04-01"):
            free = self.new_service()
            committed = self.new_service(plan=plan)
        self.assertFalse(free.wisp_term_end)
        with freeze_time("2026-04-11"):
            committed.action_change_plan(self.plan_31)
            self.assertFalse(self.fees(committed), "a plan change is not a termination")
            self.assertEqual(committed.wisp_term_end, D(2027, 3, 31))
            (free | committed).action_terminate()
        self.assertFalse(self.fees(free))
        # the term is the one taken at activation, with its fee, whatever the plan now
        self.assertEqual(self.fees(committed).amount, 100.0)

    def test_terminated_before_activation_costs_nothing(self):
        plan = self.committed_plan("fixed", wisp_termination_fee_amount=100.0)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=plan, state="confirmed")
            service.action_terminate()
        self.assertFalse(service.wisp_term_end)
        self.assertFalse(self.fees(service))
