from odoo.addons.wisp_network.tests.common import ROUTER_PASSWORD
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError

from .common import WispHelpdeskCase


class TestTicketLiveSession(WispHelpdeskCase):
    """Support's first question on a ticket: is the customer online right now?"""

    def setUp(self):
        super().setUp()
        self.service = self.new_service(state="active")
        self.run_jobs()
        self.ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )

    def test_online_on_the_ticket_and_disconnect(self):
        self.emu.connect_session(self.service.login, address="10.7.0.33", uptime=600)
        self.emu.add_traffic(self.service.login, upload=10**6, download=4 * 10**6)
        ticket = self.ticket.with_user(self.support)
        self.assertEqual(ticket.wisp_live_state, "online")
        self.assertEqual(ticket.wisp_live_address, "10.7.0.33")
        self.assertEqual((ticket.wisp_live_download_mb, ticket.wisp_live_upload_mb), (4.0, 1.0))
        self.assertTrue(ticket.wisp_live_since)

        result = ticket.action_wisp_disconnect_session()
        self.assertEqual(result["params"]["type"], "success")
        self.assertNotIn(self.service.login, self.emu.sessions())
        self.assertIn("disconnected", self.last_message(self.ticket).body)
        ticket.invalidate_recordset()
        self.assertEqual(ticket.wisp_live_state, "offline")

    def test_router_not_answering_on_the_ticket(self):
        self.env["ir.config_parameter"].sudo().set_param("wisp_network.live_timeout", "0.5")
        self.emu.faults.hang = True
        ticket = self.ticket.with_user(self.support)
        self.assertEqual(ticket.wisp_live_state, "no_answer")
        self.assertIn(self.router.name, ticket.wisp_live_message)
        self.assertNotIn("127.0.0.1", ticket.wisp_live_message)
        self.assertNotIn(ROUTER_PASSWORD, ticket.wisp_live_message)

    def test_disconnect_refused_outside_support_and_network(self):
        self.emu.connect_session(self.service.login)
        portal_user = make_portal_user(self.env, "t_tk_live_portal")
        for user in (portal_user, self.installer, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.ticket.with_user(user).action_wisp_disconnect_session()
        self.assertIn(self.service.login, self.emu.sessions())
        portal_reader = make_portal_user(self.env, "t_tk_live_portal2", self.subscriber)
        with self.assertRaises(AccessError):
            self.ticket.with_user(portal_reader).read(["wisp_live_state"])
