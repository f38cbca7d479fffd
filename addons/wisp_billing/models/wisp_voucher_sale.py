from odoo import api, fields, models


class WispVoucherSale(models.Model):
    """One voucher sold to an end customer; what its reseller owes for it.

    On consignment the reseller owes ``wholesale_amount`` (the wholesale price,
    or the price minus its commission) and the sale is invoiced by a statement;
    prepaid stock was invoiced when assigned, so its sales owe nothing more.
    """

    _name = "wisp.voucher.sale"
    _description = "Voucher Sale"
    _order = "date desc, id desc"

    voucher_id = fields.Many2one("wisp.voucher", required=True, readonly=True, index=True)
    code = fields.Char(related="voucher_id.code")
    plan_id = fields.Many2one(related="voucher_id.plan_id", store=True)
    reseller_id = fields.Many2one("res.partner", readonly=True, index=True)
    mode = fields.Selection(
        [("direct", "Direct"), ("consignment", "Consignment"), ("prepaid", "Prepaid")],
        required=True,
        readonly=True,
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    company_id = fields.Many2one(related="voucher_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(readonly=True, help="Retail price paid by the customer.")
    wholesale_amount = fields.Monetary(readonly=True)
    commission = fields.Monetary(compute="_compute_amounts", store=True)
    amount_due = fields.Monetary(
        compute="_compute_amounts", store=True, help="Still to invoice to the reseller."
    )
    statement_id = fields.Many2one("wisp.reseller.statement", readonly=True, index=True)

    _price_positive = models.Constraint("CHECK(price >= 0)", "A sale price cannot be negative.")

    @api.depends("price", "wholesale_amount", "mode")
    def _compute_amounts(self):
        for sale in self:
            sale.commission = sale.price - sale.wholesale_amount if sale.reseller_id else 0.0
            sale.amount_due = sale.wholesale_amount if sale.mode == "consignment" else 0.0
