from odoo import fields, models

from .helpdesk_ticket import PRIORITIES


class HelpdeskSla(models.Model):
    _inherit = "helpdesk.sla"

    wisp_priority = fields.Selection(
        PRIORITIES,
        string="Priority",
        help="Applies only to tickets created with this priority; empty for any priority.",
    )
