from odoo import fields, models


class WispConnectionRequest(models.Model):
    _inherit = "wisp.connection.request"

    source = fields.Selection(selection_add=[("api", "API")], ondelete={"api": "set default"})
    wisp_api_client_id = fields.Many2one(
        "wisp.api.client",
        string="API Client",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The integration that submitted this request.",
    )
    wisp_external_ref = fields.Char(
        string="External Reference",
        readonly=True,
        copy=False,
        help="The API client's own id of this request: submitting it again makes no second.",
    )

    _wisp_external_ref_uniq = models.UniqueIndex(
        "(wisp_api_client_id, wisp_external_ref) WHERE wisp_api_client_id IS NOT NULL",
        "An API client submits each of its requests once.",
    )
