from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    wisp_van_location_id = fields.Many2one(
        "stock.location",
        string="Van Stock Location",
        domain=[("usage", "=", "internal")],
        groups="base.group_user",
        help="Internal location holding the devices this installer carries: the "
        "installation orders assigned to them deliver from it (else from the warehouse).",
    )
