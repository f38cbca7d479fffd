from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    wisp_portal_price_tax = fields.Selection(
        [("tax_included", "Tax included"), ("tax_excluded", "Tax excluded")],
        string="Portal Prices",
        default="tax_included",
        required=True,
        help="Plan prices on the subscriber portal: with the taxes the invoice adds "
        "(what residential subscribers pay), or before tax (business customers).",
    )
