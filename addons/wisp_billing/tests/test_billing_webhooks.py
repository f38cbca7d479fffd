import json

from odoo import Command
from odoo.tests import tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingWebhooks(WispBillingCase):
    """Invoice issued and paid reach the webhook outbox in the billing transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.webhook = cls.env["wisp.webhook"].create(
            {
                "name": "Accounting bridge",
                "url": "https://erp.example.com/wisp",
                "event_ids": [
                    Command.set(
                        [
                            cls.env.ref("wisp_billing.webhook_event_invoice_issued").id,
                            cls.env.ref("wisp_billing.webhook_event_invoice_paid").id,
                        ]
                    )
                ],
            }
        )

    def payloads(self, code):
        deliveries = self.webhook.delivery_ids.filtered(lambda d: d.event_id.code == code)
        return [json.loads(d.payload) for d in deliveries.sorted("id")]

    def test_invoice_issued_then_paid(self):
        self.new_service()  # in advance: its first period is invoiced at once
        invoice = self.invoices()[-1]
        (issued,) = self.payloads("invoice.issued")
        self.assertEqual(issued["type"], "invoice.issued")
        self.assertEqual(
            issued["data"],
            {
                "invoice": invoice.name,
                "move_type": "out_invoice",
                "subscriber_code": self.subscriber.subscriber_code,
                "invoice_date": str(invoice.invoice_date),
                "due_date": str(invoice.invoice_date_due),
                "currency": invoice.currency_id.name,
                "amount_total": invoice.amount_total,
                "amount_residual": invoice.amount_total,
                "payment_state": "not_paid",
            },
        )
        self.assertFalse(self.payloads("invoice.paid"))
        self.pay(invoice)
        (paid,) = self.payloads("invoice.paid")
        self.assertEqual(paid["data"]["invoice"], invoice.name)
        self.assertEqual(paid["data"]["amount_residual"], 0.0)
        self.assertNotEqual(paid["id"], issued["id"])

    def test_vendor_bills_are_not_told(self):
        bill = self.init_invoice("in_invoice", amounts=[100.0], post=True)
        self.assertEqual(bill.state, "posted")
        self.assertFalse(self.webhook.delivery_ids)
