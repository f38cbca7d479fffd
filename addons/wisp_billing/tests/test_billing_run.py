import copy

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import D, WispBillingCase, make_quarterly_plan


@tagged("post_install", "-at_install")
class TestBillingRun(WispBillingCase):
    def amounts(self, invoice):
        return sorted(
            round(line.price_subtotal, 2)
            for line in invoice.invoice_line_ids
            if line.display_type == "product"
        )

    @freeze_time("2026-03-10")
    def test_first_prorated_invoice_on_activation(self):
        service = self.new_service()
        invoice = self.invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertAlmostEqual(invoice.amount_total, 22.0)  # 22 of March's 31 days at 31
        line = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual(
            (line.wisp_service_id, line.wisp_period_start, line.wisp_period_end),
            (service, D(2026, 3, 10), D(2026, 3, 31)),
        )
        self.assertEqual(service.billed_until, D(2026, 3, 31))
        self.assertEqual(self.subscriber.wisp_next_billing_date, D(2026, 4, 1))
        self.assertEqual(invoice.invoice_date_due, D(2026, 3, 20))

    def test_consolidated_invoice_and_idempotent_run(self):
        apartment = self.env["res.partner"].create(
            {
                "name": "Apartment",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": "2 Flat St",
            }
        )
        with freeze_time("2026-03-01"):
            internet = self.new_service(addon_ids=[(6, 0, self.addon_ip.ids)])
            self.new_service(plan=self.plan_tv)
            self.new_service(address_id=apartment.id)
            self.env["wisp.service.installment"].create(
                {
                    "service_id": internet.id,
                    "name": "Router",
                    "amount": 8.0,
                    "installment_count": 3,
                }
            )
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
            self.assertEqual(len(invoice), 1, "one consolidated invoice per subscriber and cycle")
            self.assertEqual(self.amounts(invoice), [5.0, 8.0, 10.0, 31.0, 31.0])
            sections = invoice.invoice_line_ids.filtered(
                lambda line: line.display_type == "line_section"
            )
            self.assertEqual(len(sections), 2, "one section per service address")
            self.assertIn("2 Flat St", " ".join(sections.mapped("name")))
            self.assertEqual(
                (invoice.wisp_cycle_start, invoice.wisp_cycle_end), (D(2026, 4, 1), D(2026, 4, 30))
            )
            self.assertFalse(self.bill(D(2026, 4, 1)), "running it again bills nothing")
            self.assertFalse(self.env["wisp.billing.run"]._schedule(D(2026, 4, 1)))
        installment = internet.installment_ids
        self.assertEqual((installment.paid_count, installment.last_billed_date), (1, D(2026, 4, 1)))
        for month in (5, 6):
            with freeze_time(f"2026-0{month}-01"):
                self.assertIn(8.0, self.amounts(self.bill(D(2026, month, 1))))
        self.assertTrue(installment.is_done)
        with freeze_time("2026-07-01"):
            july = self.bill(D(2026, 7, 1))
        self.assertNotIn(8.0, self.amounts(july), "a finished installment plan is not billed")

    def test_scheduled_run_in_chunks_resumes_after_a_failure(self):
        subscribers = self.env["res.partner"].create([{"name": f"Chunky {n}"} for n in range(5)])
        with freeze_time("2026-03-01"):
            for partner in subscribers:
                self.new_service(partner=partner)
        self.company.wisp_billing_chunk_size = 2
        with freeze_time("2026-04-01"):
            run = self.env["wisp.billing.run"]._schedule(D(2026, 4, 1))
            self.assertEqual(len(run.chunk_ids), 3)
            # the second chunk fails once (a bug, a timeout): the others are billed
            Run = type(self.env["wisp.billing.run"])
            original = Run._bill_subscribers
            calls = []

            def flaky(model, partners, day):
                calls.append(partners)
                if len(calls) == 2:
                    raise ValueError("database hiccup")
                return original(model, partners, day)

            Run._bill_subscribers = flaky
            try:
                with mute_logger("odoo.addons.wisp_billing.models.wisp_billing_run_chunk"):
                    self.env["wisp.billing.run"]._cron_process_chunks()
            finally:
                Run._bill_subscribers = original
            chunks = run.chunk_ids.sorted("id")
            self.assertEqual(chunks.mapped("state"), ["done", "failed", "done"])
            self.assertIn("database hiccup", chunks[1].error)
            self.assertEqual(run.state, "failed")
            # the failed chunk's subscribers are still due: the next run bills them once
            rerun = self.env["wisp.billing.run"]._schedule(D(2026, 4, 1))
            self.assertEqual(rerun.subscriber_count, 2)
            self.env["wisp.billing.run"]._cron_process_chunks()
        april = self.env["account.move"].search(
            [("partner_id", "in", subscribers.ids), ("invoice_date", "=", D(2026, 4, 1))]
        )
        self.assertEqual(len(april), 5)
        self.assertEqual(run.invoice_count + rerun.invoice_count, 5)

    def test_postpaid_bills_the_cycle_that_ended(self):
        self.subscriber.wisp_billing_mode = "postpaid"
        with freeze_time("2026-03-10"):
            service = self.new_service()
            self.assertFalse(self.invoices(), "postpaid: nothing billed on activation")
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
        self.assertAlmostEqual(invoice.amount_total, 22.0)
        self.assertEqual(service.billed_until, D(2026, 3, 31))

    def test_leap_february_first_month(self):
        with freeze_time("2028-02-15"):
            self.new_service(plan=self.plan_62)
        self.assertAlmostEqual(self.invoices().amount_total, round(62.0 * 15 / 29, 2))

    def test_mid_cycle_upgrade_credits_old_and_charges_new(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()  # April billed in advance: 31
        with freeze_time("2026-04-11"):
            service.action_change_plan(self.plan_62)
        self.assertEqual(service.plan_id, self.plan_62)
        pending = service.billing_adjustment_ids
        self.assertAlmostEqual(sum(pending.mapped("amount")), round(-31.0 * 20 / 30, 2))
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        # credit old Apr 11-30, new plan Apr 11 - May 31 (20/30 of 62 + 62)
        self.assertAlmostEqual(may.amount_total, round(-20.67 + 62 * 20 / 30 + 62, 2))
        self.assertEqual(pending.mapped("state"), ["invoiced"])
        total = sum(self.invoices().mapped("amount_total"))
        self.assertAlmostEqual(total, round(31 * 10 / 30 + 62 * 20 / 30 + 62, 2), places=1)

    def test_downgrade_on_a_future_date(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=self.plan_62)
        with freeze_time("2026-04-10"):
            service.action_change_plan(self.plan_31, effective_date=D(2026, 4, 16))
            self.assertEqual((service.plan_id, service.next_plan_id), (self.plan_62, self.plan_31))
        with freeze_time("2026-04-16"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertEqual(service.plan_id, self.plan_31)
        self.assertFalse(service.next_plan_id)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        # credit 62 for Apr 16-30 (15/30), charge 31 for Apr 16-30 and May
        self.assertAlmostEqual(may.amount_total, round(-31.0 + 15.5 + 31.0, 2))

    def test_pause_stops_billing_for_the_paused_days(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=self.plan_62)  # April: 62
        with freeze_time("2026-04-21"):
            service.action_pause()
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
            self.assertEqual(may.move_type, "out_refund", "credits only: a credit note")
            self.assertAlmostEqual(may.amount_total, round(62 * 10 / 30, 2))
        with freeze_time("2026-05-11"):
            service.action_resume()
        with freeze_time("2026-06-01"):
            june = self.bill(D(2026, 6, 1))
        # May 11-31 (21/31) + June
        self.assertAlmostEqual(june.amount_total, round(62 * 21 / 31 + 62, 2))

    def test_termination_credits_unused_days(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-16"):
            service.action_terminate()
        with freeze_time("2026-05-01"):
            credit = self.bill(D(2026, 5, 1))
        self.assertEqual(credit.move_type, "out_refund")
        self.assertAlmostEqual(credit.amount_total, 15.5)  # Apr 16-30 of a 31 plan
        with freeze_time("2026-06-01"):
            self.assertFalse(self.bill(D(2026, 6, 1)))

    def test_quarterly_plan_billed_per_period(self):
        quarterly = make_quarterly_plan(self.env)
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=quarterly)
        self.assertAlmostEqual(self.invoices().amount_total, 90.0)
        self.assertEqual(service.billed_until, D(2026, 6, 30))
        for month in (5, 6):
            with freeze_time(f"2026-0{month}-01"):
                self.assertFalse(self.bill(D(2026, month, 1)))
        with freeze_time("2026-07-01"):
            self.assertAlmostEqual(self.bill(D(2026, 7, 1)).amount_total, 90.0)

    def test_plan_change_refuses_bad_requests(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-10"):
            with self.assertRaisesRegex(UserError, "already on plan"):
                service.action_change_plan(self.plan_31)
            with self.assertRaisesRegex(UserError, "not a internet plan"):
                service.action_change_plan(self.plan_tv)
            with self.assertRaisesRegex(UserError, "in the past"):
                service.action_change_plan(self.plan_62, effective_date=D(2026, 4, 9))
            service.action_terminate()
            with self.assertRaisesRegex(UserError, "terminated service"):
                service.action_change_plan(self.plan_62)
        self.assertEqual(service.plan_id, self.plan_31)
        self.assertEqual(len(service.billing_adjustment_ids), 1, "only the termination credit")

    def test_bill_now_twice_bills_once(self):
        with freeze_time("2026-03-01"):
            self.new_service()
        with freeze_time("2026-04-01"):
            self.subscriber.action_wisp_bill_now()
            self.subscriber.action_wisp_bill_now()
        self.assertEqual(len(self.invoices()), 2, "March at activation, April once")

    def test_batch_invoices_equal_standard_ones(self):
        """The run hands account.move.create the journal, line amounts and empty
        analytics it would otherwise look up line by line: every invoice must
        come out exactly as a plain create() makes it, taxed or not."""
        included = self.tax_sale_a.copy({"name": "Incl.", "price_include_override": "tax_included"})
        self.plan_31.taxes_id = self.tax_sale_a
        self.plan_tv.taxes_id = included
        other = self.env["res.partner"].create({"name": "Untaxed Subscriber"})
        with freeze_time("2026-03-01"):
            internet = self.new_service(state="confirmed", addon_ids=[(6, 0, self.addon_ip.ids)])
            tv = self.new_service(state="confirmed", plan=self.plan_tv)
            plain = self.new_service(state="confirmed", plan=self.plan_62, partner=other)
        Run = self.env["wisp.billing.run"]
        start, end = D(2026, 4, 1), D(2026, 4, 30)
        mixed = internet._wisp_charge_lines(start, end) + tv._wisp_charge_lines(start, end)
        untaxed = plain._wisp_charge_lines(D(2026, 4, 11), end)
        credits = plain._wisp_charge_lines(D(2026, 4, 21), end, sign=-1)
        vals_list = [
            Run._invoice_vals(self.subscriber, start, start, end, mixed),
            Run._invoice_vals(other, start, start, end, untaxed),
            Run._invoice_vals(other, start, start, end, credits),
        ]

        def content(invoice):
            lines = sorted(
                (
                    line.display_type,
                    line.name or "",
                    line.account_id.id,
                    line.product_id.id,
                    tuple(line.tax_ids.ids),
                    tuple(line.tax_tag_ids.ids),
                    line.balance,
                    line.amount_currency,
                    line.price_subtotal,
                    line.price_total,
                    str(line.date_maturity),
                    str(line.analytic_distribution),
                )
                for line in invoice.line_ids
            )
            return (
                invoice.move_type,
                invoice.journal_id,
                invoice.currency_id,
                invoice.amount_untaxed,
                invoice.amount_tax,
                invoice.amount_total,
                invoice.invoice_date_due,
                lines,
            )

        # the test case mutes the chatter: turn it on to see what a real run logs
        chatty = dict.fromkeys(
            ("tracking_disable", "mail_create_nolog", "mail_create_nosubscribe", "mail_notrack"),
            False,
        )
        standard = self.env["account.move"].with_context(**chatty).create(copy.deepcopy(vals_list))
        batch = Run.with_context(**chatty)._create_invoices(copy.deepcopy(vals_list))
        self.assertEqual(batch.mapped("move_type"), ["out_invoice", "out_invoice", "out_refund"])
        self.assertTrue(batch[0].amount_tax, "the mixed invoice is taxed")
        self.assertTrue(standard[0].message_ids)
        self.assertFalse(batch.message_ids, "no creation note on a recurring invoice")
        for expected, invoice in zip(standard, batch, strict=True):
            self.assertEqual(content(invoice), content(expected))
