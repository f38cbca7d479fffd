"""The support agent's call clicked through in headless Chromium as that role
(``static/tests/tours/wisp_support_tour.js``), failing on the first error dialog:
subscriber, service, circuit test on the emulated router, ticket."""

from odoo.tests import HttpCase, tagged

from .common import WispHelpdeskCase


@tagged("post_install", "-at_install")
class TestSupportTour(WispHelpdeskCase, HttpCase):
    def test_subscriber_service_circuit_test_ticket(self):
        caller = self.env["res.partner"].create(
            {"name": "Tour Caller", "phone": "+1 555 0142", "street": "3 Mast Road"}
        )
        service = self.new_service(state="active", partner=caller)
        self.env["wisp.cpe.device"].create(
            {"service_id": service.id, "name": "LiteBeam", "ip_address": "10.20.0.77"}
        )
        self.emu.set_host("10.20.0.77", rtt_ms=[3.0, 4.0, 5.0])

        self.start_tour(
            f"/odoo/action-wisp_subscriber.res_partner_action_wisp_subscriber/{caller.id}",
            "wisp_support_day",
            login=self.support.login,
        )

        test = service.circuit_test_ids
        self.assertEqual((test.state, test.user_id), ("reachable", self.support))
        ticket = self.Ticket.search([("wisp_service_id", "=", service.id)])
        self.assertEqual(ticket.name, "Slow evenings since Monday")
        self.assertEqual((ticket.partner_id, ticket.create_uid), (caller, self.support))
