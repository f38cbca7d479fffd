from odoo import fields, models

from .helpdesk_ticket import PRIORITIES

WISP_KINDS = [
    ("no_internet", "No Internet"),
    ("slow_speed", "Slow Speed"),
    ("billing", "Billing"),
    ("plan_change", "Plan Change"),
    ("installation", "Installation"),
    ("other", "Other"),
]


class HelpdeskTicketCategory(models.Model):
    _inherit = "helpdesk.ticket.category"

    wisp_kind = fields.Selection(
        WISP_KINDS,
        string="WISP Kind",
        help="What the category means to the WISP suite: a 'No Internet' ticket shows "
        "whether a failed router job or a suspension explains the outage.",
    )
    wisp_default_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Default Team",
        help="Team a new ticket of this category goes to when none is chosen.",
    )
    wisp_default_priority = fields.Selection(
        PRIORITIES,
        string="Default Priority",
        help="Priority a new ticket of this category gets when none is chosen.",
    )
