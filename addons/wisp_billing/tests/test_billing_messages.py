from freezegun import freeze_time

from odoo.tests import tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingMessages(WispBillingCase):
    """The invoice a billing run issues and its payment are told to the subscriber once."""

    def messages(self, code, invoice):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", code),
                ("res_model", "=", "account.move"),
                ("res_id", "=", invoice.id),
            ]
        )

    def test_issued_invoice_then_payment(self):
        with freeze_time("2026-04-01"):
            self.new_service()
        invoice = self.invoices()
        self.assertEqual(len(invoice), 1)
        issued = self.messages("invoice_issued", invoice)
        self.assertEqual((len(issued), issued.channel, issued.state), (1, "email", "queued"))
        self.assertEqual(issued.partner_id, invoice.partner_id)

        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(issued.state, "sent", issued.last_error)
        posted = issued.mail_message_id
        self.assertEqual(posted.res_id, self.subscriber.id, "logged in the subscriber's chatter")
        self.assertTrue(posted.attachment_ids, "the invoice itself is attached")
        self.assertIn(invoice.get_portal_url(), str(posted.body), "with its pay link")

        with freeze_time("2026-04-05"):
            self.pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        received = self.messages("payment_received", invoice)
        self.assertEqual(len(received), 1)
        # the paid hook may run again (a reconciliation undone and redone): told once
        invoice._wisp_queue_message("payment_received")
        self.assertEqual(self.messages("payment_received", invoice), received)

    def test_switched_off_invoice_messages(self):
        self.env.ref("wisp_billing.message_event_invoice_issued").disabled_company_ids = [
            (4, self.env.company.id)
        ]
        with freeze_time("2026-04-01"):
            self.new_service()
        self.assertFalse(self.messages("invoice_issued", self.invoices()))
