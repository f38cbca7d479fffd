from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestInvoiceReport(WispBillingCase):
    def test_report_shows_addresses_words_installments_and_cycle(self):
        self.subscriber.lang = "en_US"
        branch = self.env["res.partner"].create(
            {
                "name": "Shop",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": "7 Market Square",
                "city": "Springfield",
            }
        )
        with freeze_time("2026-03-01"):
            home = self.new_service(state="confirmed")
            shop = self.new_service(state="confirmed", address_id=branch.id)
            (home | shop).action_activate()
            self.env["wisp.service.installment"].create(
                {
                    "service_id": home.id,
                    "name": "Outdoor radio",
                    "amount": 12.0,
                    "installment_count": 10,
                }
            )
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice", invoice.ids)[0]
            .decode()
        )
        self.assertIn("Shop, 7 Market Square, Springfield", html, "a section per address")
        self.assertIn("Billing Subscriber", html)
        self.assertIn("Outdoor radio", html)
        self.assertIn("1 / 10", html, "installment progress")
        self.assertIn("Total amount in words", html)
        self.assertAlmostEqual(invoice.amount_untaxed, 74.0)
        words = invoice.currency_id.amount_to_text(invoice.amount_total)
        self.assertIn(words.replace(",", ""), html)
        self.assertIn("Billing cycle", html)


class _Captured(Exception):
    pass


@tagged("post_install", "-at_install")
class TestInvoicePrintDelay(WispBillingCase):
    """wkhtmltopdf's script wait: none for an invoice, Odoo's own for other reports."""

    def delay_of(self, report_ref, records):
        commands = []

        def capture(args):
            commands.append(args)
            raise _Captured

        with (
            patch(
                "odoo.addons.base.models.ir_actions_report._run_wkhtmltopdf", side_effect=capture
            ),
            self.assertRaises(_Captured),
        ):
            self.env["ir.actions.report"].with_context(
                force_report_rendering=True  # tests render HTML otherwise
            )._render_qweb_pdf(report_ref, records.ids)
        return commands[0][commands[0].index("--javascript-delay") + 1]

    def test_an_invoice_is_printed_without_waiting_for_scripts(self):
        invoice = self.init_invoice("out_invoice", amounts=[10.0], post=True)
        self.assertEqual(self.delay_of("account.account_invoices", invoice), "0")
        self.env["ir.config_parameter"].set_param("wisp_billing.invoice_print_delay", "300")
        self.assertEqual(self.delay_of("account.account_invoices", invoice), "300")

    def test_other_reports_keep_odoos_wait(self):
        self.env["ir.config_parameter"].set_param("report.print_delay", "1000")
        module = self.env.ref("base.module_base")
        self.assertEqual(self.delay_of("base.ir_module_reference_print", module), "1000")
