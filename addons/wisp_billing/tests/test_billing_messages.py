from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.wisp_billing.models import wisp_message
from odoo.tests import tagged

from .common import D, WispBillingCase


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

    def send_two_invoices(self, renders_many):
        """Issue two invoices, send their messages; return the invoices and the ids of
        each report run (``renders_many``: wkhtmltopdf has Odoo's patched Qt)."""
        other = self.subscriber.copy({"name": "Second Subscriber", "email": "second@example.com"})
        with freeze_time("2026-04-01"):
            self.new_service()
            self.new_service(partner=other)
        invoices = self.invoices() | self.invoices(other)
        self.assertEqual(len(invoices), 2)
        # only this test's messages are due (not the demo data's, of any company)
        Message = self.env["wisp.message"].sudo()
        ours = Message.search([("res_model", "=", "account.move"), ("res_id", "in", invoices.ids)])
        (Message.search([("state", "=", "queued")]) - ours).write({"state": "sent"})
        Report = type(self.env["ir.actions.report"])
        with (
            patch.object(
                Report,
                "_pre_render_qweb_pdf",
                autospec=True,
                side_effect=Report._pre_render_qweb_pdf,
            ) as render,
            patch(f"{wisp_message.__name__}.wkhtmltopdf_renders_many", return_value=renders_many),
        ):
            self.env["wisp.message"]._cron_send(commit=False)
        return invoices, [sorted(call.kwargs["res_ids"]) for call in render.mock_calls]

    def test_a_batch_renders_its_invoice_pdfs_in_one_run(self):
        """The sending batch renders every invoice it e-mails in one report run, stored
        as each invoice's official PDF, which its e-mail attaches: not one run each."""
        invoices, rendered = self.send_two_invoices(renders_many=True)
        self.assertEqual(rendered, [sorted(invoices.ids)], "one run for both invoices")
        for invoice in invoices:
            issued = self.messages("invoice_issued", invoice)
            self.assertEqual(issued.state, "sent", issued.last_error)
            self.assertTrue(invoice.invoice_pdf_report_id, "stored as the official PDF")
            self.assertEqual(
                issued.mail_message_id.attachment_ids.mapped("name"),
                [invoice.invoice_pdf_report_id.name],
                "its e-mail attaches that PDF, once",
            )

    def test_a_wkhtmltopdf_without_patched_qt_renders_each_invoice_alone(self):
        """Odoo refuses a run of several documents without patched Qt: no batch is
        tried, each message renders its own PDF."""
        invoices, rendered = self.send_two_invoices(renders_many=False)
        self.assertEqual(sorted(rendered), [[invoice.id] for invoice in invoices.sorted("id")])
        for invoice in invoices:
            issued = self.messages("invoice_issued", invoice)
            self.assertEqual(issued.state, "sent", issued.last_error)
            self.assertTrue(issued.mail_message_id.attachment_ids, "the invoice is attached")

    def test_switched_off_invoice_messages(self):
        self.env.ref("wisp_billing.message_event_invoice_issued").disabled_company_ids = [
            (4, self.env.company.id)
        ]
        with freeze_time("2026-04-01"):
            self.new_service()
        self.assertFalse(self.messages("invoice_issued", self.invoices()))

    def plan_messages(self, service):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", "plan_change"),
                ("res_model", "=", "wisp.service"),
                ("res_id", "=", service.id),
            ]
        )

    def test_plan_change_now_tells_the_prorated_amounts(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=self.plan_62)
        with freeze_time("2026-04-16"):
            service.action_change_plan(self.plan_31)
            message = self.plan_messages(service)
            self.assertEqual(len(message), 1)
            self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(message.state, "sent", message.last_error)
        body = str(message.mail_message_id.body)
        self.assertIn(self.plan_31.display_name, body)
        credit = service.billing_adjustment_ids.filtered(lambda a: a.amount < 0)
        self.assertTrue(credit, "the unused days of the old plan are credited")
        self.assertIn(credit[0].name, body)

    def test_scheduled_plan_change_is_told_when_scheduled_only(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=self.plan_62)
        with freeze_time("2026-04-05"):
            service.action_change_plan(self.plan_31, effective_date=D(2026, 4, 20))
            message = self.plan_messages(service)
            self.env["wisp.message"]._cron_send(commit=False)
        self.assertIn("moves to", str(message.mail_message_id.body))
        with freeze_time("2026-04-20"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertEqual(service.plan_id, self.plan_31)
        self.assertEqual(self.plan_messages(service), message, "announced once, when scheduled")
