from odoo.addons.sms_twilio.tests.common import MockSmsTwilio
from odoo.tests import tagged

from .common import WispHelpdeskCase

SMS_NUMBER = "+12202154155"  # a number sms_twilio's test gateway accepts


@tagged("post_install", "-at_install")
class TestTicketReplySms(MockSmsTwilio, WispHelpdeskCase):
    """helpdesk_mgmt mails every reply; a customer who chose SMS is also texted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms_twilio(cls.env.company)

    def texts(self, ticket):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", "ticket_reply"),
                ("res_model", "=", "helpdesk.ticket"),
                ("res_id", "=", ticket.id),
            ]
        )

    def reply(self, ticket, subtype="mail.mt_comment", user=None, **kwargs):
        return ticket.with_user(user or self.support).message_post(
            body="<p>We are on it: a technician comes tomorrow.</p>",
            message_type="comment",
            subtype_xmlid=subtype,
            **kwargs,
        )

    def test_staff_reply_is_texted_once_per_reply_without_its_text(self):
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "both"})
        ticket = self.new_ticket(team_id=self.team_support.id)
        first = self.reply(ticket)
        text = self.texts(ticket)
        self.assertEqual((len(text), text.channel, text.event_key), (1, "sms", str(first.id)))
        self.reply(ticket)
        self.assertEqual(len(self.texts(ticket)), 2, "each reply its own text")
        with self.mock_sms_twilio_gateway():
            self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(self.texts(ticket).mapped("state"), ["sent", "sent"])
        sent = [sms for sms in self._sms if ticket.number in sms["body"]]
        self.assertEqual([sms["number"] for sms in sent], [SMS_NUMBER] * 2)
        self.assertNotIn("technician", sent[0]["body"], "the SMS points to the ticket only")

    def test_notes_customer_messages_and_email_only_customers_get_no_text(self):
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "sms"})
        ticket = self.new_ticket(team_id=self.team_support.id)
        self.reply(ticket, subtype="mail.mt_note")
        self.reply(ticket, user=self.env.ref("base.user_root"), author_id=self.subscriber.id)
        self.assertFalse(self.texts(ticket), "internal note, or the customer's own message")
        self.subscriber.wisp_message_channel = "email"
        self.reply(ticket)
        self.assertFalse(self.texts(ticket), "helpdesk's e-mail is enough")

    def test_switched_off(self):
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "sms"})
        self.env.ref("wisp_helpdesk.message_event_ticket_reply").enabled = False
        ticket = self.new_ticket(team_id=self.team_support.id)
        self.reply(ticket)
        self.assertFalse(self.texts(ticket))
