from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    wisp_api_client_id = fields.Many2one(
        "wisp.api.client",
        string="Registered by API Client",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    wisp_external_ref = fields.Char(
        string="External Reference",
        readonly=True,
        copy=False,
        help="The API client's own id of this payment: a replay of it books nothing.",
    )

    _wisp_external_ref_uniq = models.UniqueIndex(
        "(wisp_api_client_id, wisp_external_ref) WHERE wisp_api_client_id IS NOT NULL",
        "An API client registers each of its payments once.",
    )
