from odoo import fields, models


class WispApiOriginMixin(models.AbstractModel):
    """What an integration sent through the REST API: the client that sent it and
    the client's own id of it, unique per client, so that a retried call finds the
    record of the first one instead of making a second."""

    _name = "wisp.api.origin.mixin"
    _description = "Sent Through the REST API"

    wisp_api_client_id = fields.Many2one(
        "wisp.api.client",
        string="API Client",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The integration that sent this record.",
    )
    wisp_external_ref = fields.Char(
        string="External Reference",
        readonly=True,
        copy=False,
        help="The API client's own id of this record: sending it again makes no second.",
    )

    _wisp_external_ref_uniq = models.UniqueIndex(
        "(wisp_api_client_id, wisp_external_ref) WHERE wisp_api_client_id IS NOT NULL",
        "An API client sends each of its references once.",
    )

    def _wisp_api_sent(self, client, external_ref):
        """The record ``client`` sent as ``external_ref`` before, if any."""
        return self.search(
            [("wisp_api_client_id", "=", client.id), ("wisp_external_ref", "=", external_ref)],
            limit=1,
        )
