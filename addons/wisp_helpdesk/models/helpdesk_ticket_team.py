from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    wisp_escalation_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Next Level Team",
        help="Team that takes over this team's tickets when an escalation rule reassigns them.",
    )
