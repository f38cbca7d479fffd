from freezegun import freeze_time

from odoo.tests import tagged

from .common import D, WispBillingCase, make_quarterly_plan


@tagged("post_install", "-at_install")
class TestBillingRulesLifeCycle(WispBillingCase):
    """The billing rules of docs/architecture.md decided for issue 12: activation
    mid-cycle, N-month blocks after a pause, installments at pause and termination."""

    def test_service_activated_mid_cycle_is_invoiced_at_once(self):
        """In advance, a second service activated mid-cycle gets its own invoice for
        the rest of the cycle at once (paid before use, like the first one); the
        next consolidated invoice carries both, nothing twice."""
        with freeze_time("2026-04-01"):
            self.new_service()
        with freeze_time("2026-04-11"):
            second = self.new_service(plan=self.plan_62)
        first_april, second_april = self.invoices()
        self.assertEqual(second_april.wisp_cycle_start, first_april.wisp_cycle_start)
        self.assertEqual(second_april.invoice_line_ids.wisp_service_id, second)
        self.assertAlmostEqual(second_april.amount_total, round(62 * 20 / 30, 2))
        self.assertEqual(self.subscriber.wisp_next_billing_date, D(2026, 5, 1))
        self.assertAlmostEqual(self.bill_month(5).amount_total, 31.0 + 62.0)

    def test_postpaid_activation_rides_on_the_next_invoice(self):
        self.subscriber.wisp_billing_mode = "postpaid"
        with freeze_time("2026-04-01"):
            self.new_service()
        with freeze_time("2026-04-11"):
            self.new_service(plan=self.plan_62)
        self.assertFalse(self.invoices())
        may = self.bill_month(5)
        self.assertAlmostEqual(may.amount_total, round(31.0 + 62 * 20 / 30, 2))

    def test_quarterly_block_restarts_at_the_resume_cycle(self):
        quarterly = make_quarterly_plan(self.env)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=quarterly)  # Apr - Jun: 90
        self.assertFalse(self.bill_month(5))
        with freeze_time("2026-05-16"):
            service.action_pause()
        june = self.bill_month(6)
        self.assertEqual(june.move_type, "out_refund")
        self.assertAlmostEqual(june.amount_total, round(30 * 16 / 31 + 30, 2))
        self.assertFalse(self.bill_month(7), "paused: nothing")
        with freeze_time("2026-07-15"):
            service.action_resume()
        # the new block starts with the resume's cycle: Jul 15 - Sep 30
        august = self.bill_month(8)
        self.assertAlmostEqual(august.amount_total, round(30 * 17 / 31 + 60, 2))
        self.assertEqual(service.billed_until, D(2026, 9, 30))
        self.assertFalse(self.bill_month(9))
        self.assertAlmostEqual(self.bill_month(10).amount_total, 90.0)

    def new_installment_plan(self, service):
        return self.env["wisp.service.installment"].create(
            {"service_id": service.id, "name": "Router", "amount": 8.0, "installment_count": 6}
        )

    def installment_lines(self, invoice):
        return invoice.invoice_line_ids.filtered("wisp_installment_id")

    def test_installments_wait_during_a_pause(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
            installment = self.new_installment_plan(service)
        self.bill_month(5)
        self.assertEqual(installment.paid_count, 1)
        with freeze_time("2026-05-10"):
            service.action_pause()
        self.assertFalse(self.installment_lines(self.bill_month(6)))
        self.assertEqual(installment.paid_count, 1, "no installment while paused")
        with freeze_time("2026-06-10"):
            service.action_resume()
        self.assertEqual(self.installment_lines(self.bill_month(7)).price_subtotal, 8.0)
        self.assertEqual(installment.paid_count, 2, "the plan goes on where it stopped")

    def test_remaining_installments_fall_due_on_the_final_invoice(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
            installment = self.new_installment_plan(service)
        self.bill_month(5)
        self.assertEqual(installment.paid_count, 1)
        with freeze_time("2026-05-16"):
            service.action_terminate()
        final = self.bill_month(6)
        line = self.installment_lines(final)
        self.assertEqual((line.quantity, line.price_unit), (5.0, 8.0))
        # the balance (5 x 8) against the credit of May 16-31 (31 x 16/31)
        self.assertEqual(final.move_type, "out_invoice")
        self.assertAlmostEqual(final.amount_untaxed, 40.0 - 16.0)
        self.assertTrue(installment.is_done)
        self.assertFalse(self.bill_month(7), "nothing left to bill")
