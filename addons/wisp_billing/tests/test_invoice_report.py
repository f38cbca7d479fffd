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
            home = self.new_service(activate=False)
            shop = self.new_service(activate=False, address_id=branch.id)
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
