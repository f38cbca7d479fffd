from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingRulesInvoices(WispBillingCase):
    """Invoice or credit note is decided after tax; one subscriber that cannot be
    billed fails alone, on the record, and is retried by the next run."""

    def line(self, product, amount):
        return {
            "product_id": product.id,
            "name": product.name,
            "quantity": 1,
            "price_unit": amount,
            "wisp_service_id": self.service.id,
        }

    def bill_lines(self, lines):
        Run = self.env["wisp.billing.run"]
        start, end = D(2026, 4, 1), D(2026, 4, 30)
        invoice = Run._create_invoices(
            [Run._invoice_vals(self.subscriber, start, start, end, lines)]
        )
        invoice.action_post()
        return invoice

    def setUp(self):
        super().setUp()
        with freeze_time("2026-04-01"):
            self.service = self.new_service(state="confirmed")

    def test_credit_outweighing_charges_after_tax_is_a_credit_note(self):
        # the audit's case: +79.95 untaxed against a -72.74 credit of a plan taxed 15%
        self.plan_62.taxes_id = self.tax_sale_a
        invoice = self.bill_lines([self.line(self.plan_31, 79.95), self.line(self.plan_62, -72.74)])
        self.assertEqual(invoice.move_type, "out_refund")
        self.assertAlmostEqual(invoice.amount_total, 3.70)
        self.assertAlmostEqual(invoice.amount_tax, 72.74 * 0.15, places=2)

    def test_lines_carry_only_their_products_taxes(self):
        # Odoo taxes a line whose product has none with its income account's
        # taxes; the credit-note choice only counted the product's: the line
        # must not be taxed behind its back.
        self.plan_31.taxes_id = False
        self.plan_62.taxes_id = self.tax_sale_a
        income = self.plan_31.product_tmpl_id.get_product_accounts()["income"]
        income.tax_ids = self.tax_sale_a
        invoice = self.bill_lines([self.line(self.plan_31, 50.0), self.line(self.plan_62, 20.0)])
        lines = invoice.invoice_line_ids.filtered("product_id")
        self.assertFalse(lines.filtered(lambda line: line.product_id == self.plan_31).tax_ids)
        self.assertEqual(
            lines.filtered(lambda line: line.product_id == self.plan_62).tax_ids, self.tax_sale_a
        )
        self.assertAlmostEqual(invoice.amount_total, 50.0 + 20.0 * 1.15)

    def test_tax_included_and_excluded_prices_compared_after_tax(self):
        included = self.tax_sale_a.copy({"name": "Incl.", "price_include_override": "tax_included"})
        self.plan_31.taxes_id = included
        self.plan_62.taxes_id = self.tax_sale_a
        # +100 (tax included) against -90 + 15%: the price_units add to +10, the
        # invoice to -3.50
        credit = self.bill_lines([self.line(self.plan_31, 100.0), self.line(self.plan_62, -90.0)])
        self.assertEqual(credit.move_type, "out_refund")
        self.assertAlmostEqual(credit.amount_total, 3.50)
        # and the other way round: -10 in price_units, +0.50 after tax
        charge = self.bill_lines([self.line(self.plan_31, -100.0), self.line(self.plan_62, 87.39)])
        self.assertEqual(charge.move_type, "out_invoice")
        self.assertAlmostEqual(charge.amount_total, 0.50, places=2)

    def test_one_subscriber_failing_does_not_fail_its_chunk(self):
        partners = self.env["res.partner"].create([{"name": f"Chunk {n}"} for n in range(3)])
        culprit = partners[1]
        with freeze_time("2026-03-01"):
            for partner in partners:
                self.new_service(partner=partner)
        Run = type(self.env["wisp.billing.run"])
        original = Run._invoice_vals

        def refuse_culprit(model, account, *args):
            if account == culprit:
                raise ValueError("no income account for this subscriber")
            return original(model, account, *args)

        with freeze_time("2026-04-01"):
            run = self.env["wisp.billing.run"]._schedule(D(2026, 4, 1))
            self.assertEqual(len(run.chunk_ids), 1)
            with (
                patch.object(Run, "_invoice_vals", refuse_culprit),
                mute_logger("odoo.addons.wisp_billing.models.wisp_billing_run"),
            ):
                self.env["wisp.billing.run"]._cron_process_chunks()
            chunk = run.chunk_ids
            self.assertEqual(chunk.state, "failed")
            self.assertEqual(chunk.invoice_count, 2, "the innocent subscribers are billed")
            self.assertEqual(chunk.failed_partner_ids, culprit)
            self.assertIn("Chunk 1", chunk.error)
            self.assertIn("no income account", chunk.error)
            self.assertEqual(run.state, "failed")
            self.assertEqual(
                (partners - culprit).mapped("wisp_next_billing_date"), [D(2026, 5, 1)] * 2
            )
            # fixed: the next run bills the culprit, and only it
            rerun = self.env["wisp.billing.run"]._schedule(D(2026, 4, 1))
            self.assertEqual(rerun.chunk_ids.partner_ids, culprit)
            self.env["wisp.billing.run"]._cron_process_chunks()
            self.assertEqual(rerun.chunk_ids.state, "done")
        april = self.env["account.move"].search(
            [("partner_id", "in", partners.ids), ("invoice_date", "=", D(2026, 4, 1))]
        )
        self.assertEqual(april.partner_id, partners)
        self.assertEqual(len(april), 3)

    def test_a_chunk_failing_as_a_whole_lists_its_subscribers(self):
        partners = self.env["res.partner"].create([{"name": f"Whole {n}"} for n in range(2)])
        with freeze_time("2026-03-01"):
            for partner in partners:
                self.new_service(partner=partner)
        Run = type(self.env["wisp.billing.run"])

        def broken(model, partners, day):
            raise ValueError("database hiccup")

        with freeze_time("2026-04-01"):
            run = self.env["wisp.billing.run"]._schedule(D(2026, 4, 1))
            with (
                patch.object(Run, "_bill_subscribers", broken),
                mute_logger("odoo.addons.wisp_billing.models.wisp_billing_run_chunk"),
            ):
                self.env["wisp.billing.run"]._cron_process_chunks()
        self.assertEqual(run.chunk_ids.state, "failed")
        self.assertEqual(run.chunk_ids.failed_partner_ids, partners)
        self.assertIn("database hiccup", run.chunk_ids.error)
