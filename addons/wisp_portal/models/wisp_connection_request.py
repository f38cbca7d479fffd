from odoo import fields, models


class WispConnectionRequest(models.Model):
    _name = "wisp.connection.request"
    _inherit = ["wisp.connection.request", "wisp.api.origin.mixin"]

    source = fields.Selection(selection_add=[("api", "API")], ondelete={"api": "set default"})
