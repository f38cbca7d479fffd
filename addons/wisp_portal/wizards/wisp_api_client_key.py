from odoo import fields, models


class WispApiClientKey(models.TransientModel):
    """Shows a new API key once, as Odoo shows a user's new API key: only its hash is
    kept on the client, and this wizard row is vacuumed with the other wizards."""

    _name = "wisp.api.client.key"
    _description = "New API Key"

    client_id = fields.Many2one("wisp.api.client", required=True, readonly=True, ondelete="cascade")
    key = fields.Char(readonly=True)
