from odoo import api, fields, models


class WispConnectionRequest(models.Model):
    _inherit = "wisp.connection.request"

    reseller_id = fields.Many2one(
        "res.partner",
        string="Signed Up By",
        domain="[('wisp_is_reseller', '=', True)]",
        index="btree_not_null",
        tracking=True,
        help="The reseller who brought this prospect; it follows the request on its portal.",
    )

    @api.model
    def _wisp_offered_plans(self, service_type=None):
        """Plans a prospect may ask for: sellable recurring plans of the current
        company or shared ones (prepaid plans are sold as vouchers, never installed).

        In sudo: the website's public visitors and resellers read them to choose.
        """
        domain = [
            ("is_wisp_plan", "=", True),
            ("is_prepaid", "=", False),
            ("sale_ok", "=", True),
            ("company_id", "in", [False, self.env.company.id]),
        ]
        if service_type:
            domain.append(("service_type", "=", service_type))
        return self.env["product.product"].sudo().search(domain, order="list_price, name, id")
