"""The helpdesk demo data: tickets of real subscribers worked by the support staff, and
WISP categories only (skipped on a database without demo data)."""

from unittest import SkipTest

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestHelpdeskDemoData(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tickets = cls.env["helpdesk.ticket"]
        for name in ("no_internet", "slow", "billing", "suspended"):
            ticket = cls.env.ref(f"wisp_helpdesk.ticket_demo_{name}", raise_if_not_found=False)
            if not ticket:
                raise SkipTest("no demo data")
            cls.tickets |= ticket

    def test_tickets_belong_to_subscribers_and_staff(self):
        """Customer and opening message are the subscriber's, the owner a support user;
        nothing is OdooBot's, and the tickets are of different ages."""
        odoobot = self.env.ref("base.user_root")
        staff = self.env.ref("wisp_subscriber.user_support") | self.env.ref(
            "wisp_subscriber.user_billing"
        )
        for ticket in self.tickets:
            self.assertTrue(ticket.partner_id.service_ids, ticket.name)
            self.assertIn(ticket.user_id, staff, ticket.name)
            messages = ticket.message_ids
            self.assertEqual(messages.author_id, ticket.partner_id, ticket.name)
            self.assertNotIn(odoobot.partner_id, messages.author_id)
            self.assertFalse(messages.subtype_id.internal, "the portal shows the customer's words")
        self.assertEqual(len(set(self.tickets.mapped("create_date"))), len(self.tickets))
        # the generic helpdesk_mgmt demo tickets (OdooBot's) are archived
        self.assertFalse(
            self.env["helpdesk.ticket"].search([("user_id", "=", odoobot.id)]),
        )

    def test_portal_offers_wisp_categories_only(self):
        """A subscriber opening a ticket chooses among WISP categories, no "Hardware"."""
        offered = self.env["helpdesk.ticket.category"].search([("show_in_portal", "=", True)])
        self.assertTrue(offered)
        self.assertTrue(all(offered.mapped("wisp_kind")), offered.mapped("name"))
        self.authenticate("subscriber", "subscriber")
        body = self.url_open("/new/ticket").text
        self.assertIn("No Internet", body)
        for generic in ("Hardware", "Laptops"):
            self.assertNotIn(generic, body)
