from odoo import fields, models
from odoo.addons.wisp_subscriber.tools.access import NETWORK, SUPPORT, related_action


class WispService(models.Model):
    _inherit = "wisp.service"

    helpdesk_ticket_ids = fields.One2many(
        "helpdesk.ticket", "wisp_service_id", string="Tickets", groups="base.group_user"
    )
    helpdesk_ticket_count = fields.Integer(
        compute="_compute_helpdesk_ticket_count", groups="base.group_user"
    )

    def _compute_helpdesk_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("wisp_service_id", "in", self.ids)], ["wisp_service_id"], ["__count"]
            )
        )
        for service in self:
            service.helpdesk_ticket_count = counts.get(service, 0)

    def action_view_helpdesk_tickets(self):
        return related_action(
            self,
            (SUPPORT, NETWORK),
            "helpdesk_mgmt.helpdesk_ticket_action",
            lambda record: (
                [("wisp_service_id", "=", record.id)],
                {
                    "default_wisp_service_id": record.id,
                    "default_partner_id": record.partner_id.id,
                },
            ),
        )
