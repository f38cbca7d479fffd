"""Shared set-up: wisp_network's emulated router plus the WISP helpdesk teams."""

from odoo import Command
from odoo.addons.wisp_network.tests.common import WispNetworkCase


class WispHelpdeskCase(WispNetworkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.team_support = cls.env.ref("wisp_helpdesk.team_support")
        cls.team_network = cls.env.ref("wisp_helpdesk.team_network")
        cls.team_billing = cls.env.ref("wisp_helpdesk.team_billing")
        cls.team_level2 = cls.env.ref("wisp_helpdesk.team_level2")
        cls.cat_no_internet = cls.env.ref("wisp_helpdesk.category_no_internet")
        cls.cat_slow = cls.env.ref("wisp_helpdesk.category_slow_speed")
        cls.cat_billing = cls.env.ref("wisp_helpdesk.category_billing")
        cls.cat_other = cls.env.ref("wisp_helpdesk.category_other")
        # Round-the-clock working hours: SLA arithmetic in the tests is wall-clock.
        cls.calendar_24x7 = cls.env["resource.calendar"].create(
            {
                "name": "24x7",
                "attendance_ids": [
                    Command.create(
                        {"name": str(day), "dayofweek": str(day), "hour_from": 0, "hour_to": 24}
                    )
                    for day in range(7)
                ],
            }
        )
        (cls.team_support | cls.team_network | cls.team_billing | cls.team_level2).write(
            {"resource_calendar_id": cls.calendar_24x7.id}
        )
        cls.team_support.user_ids = [Command.link(cls.support.id)]
        cls.team_network.user_ids = [Command.link(cls.network.id)]
        cls.team_level2.user_id = cls.manager

    def last_message(self, ticket):
        return self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket"),
                ("res_id", "=", ticket.id),
                ("message_type", "!=", "user_notification"),
            ],
            limit=1,
        )

    def new_ticket(self, **vals):
        return self.Ticket.create(
            {
                "name": "Ticket",
                "description": "<p>Help</p>",
                "partner_id": self.subscriber.id,
                **vals,
            }
        )
