from odoo import fields, models


class WispSite(models.Model):
    _inherit = "wisp.site"

    router_ids = fields.One2many("wisp.router", "site_id", string="Routers")
