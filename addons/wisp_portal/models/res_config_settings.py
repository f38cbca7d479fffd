from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wisp_portal_price_tax = fields.Selection(
        related="company_id.wisp_portal_price_tax", readonly=False
    )
