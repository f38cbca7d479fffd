import json

from odoo import Command
from odoo.tests import tagged

from .common import WispHelpdeskCase


@tagged("post_install", "-at_install")
class TestTicketWebhooks(WispHelpdeskCase):
    """A ticket opened or moved reaches the webhook outbox; a reply does not."""

    def test_ticket_changed(self):
        webhook = self.env["wisp.webhook"].create(
            {
                "name": "CRM",
                "url": "https://crm.example.com/wisp",
                "event_ids": [
                    Command.set(self.env.ref("wisp_helpdesk.webhook_event_ticket_changed").ids)
                ],
            }
        )
        ticket = self.new_ticket(team_id=self.team_support.id)
        ticket.message_post(body="Looking into it", message_type="comment")
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        payloads = [json.loads(d.payload)["data"] for d in webhook.delivery_ids.sorted("id")]
        self.assertEqual([p["change"] for p in payloads], ["created", "stage_id"])
        self.assertEqual(
            payloads[1],
            {
                "ticket": ticket.number,
                "change": "stage_id",
                "subscriber_code": self.subscriber.commercial_partner_id.subscriber_code or None,
                "service": None,
                "stage": ticket.stage_id.name,
                "closed": False,
                "priority": ticket.priority,
                "team": self.team_support.name,
            },
        )
        self.assertNotIn("Help", json.dumps(payloads), "what was said stays in the helpdesk")
