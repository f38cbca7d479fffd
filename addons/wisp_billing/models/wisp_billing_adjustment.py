from odoo import api, fields, models


class WispBillingAdjustment(models.Model):
    """A charge or credit waiting for the subscriber's next invoice.

    Mid-cycle events (plan change, pause, termination) settle the days already
    billed or used here, with the same proration rule as the billing run; the
    next consolidated invoice carries them as lines.
    """

    _name = "wisp.billing.adjustment"
    _description = "Pending Billing Adjustment"
    _order = "date_from, id"

    service_id = fields.Many2one("wisp.service", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Account", required=True, index=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one("product.product", required=True)
    name = fields.Char(string="Description", required=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    invoice_line_ids = fields.One2many("account.move.line", "wisp_adjustment_id", readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("invoiced", "Invoiced")],
        compute="_compute_state",
        store=True,
        index=True,
        help="Pending again when the invoice that carried it is cancelled.",
    )

    @api.depends("invoice_line_ids.parent_state")
    def _compute_state(self):
        for adjustment in self:
            live = adjustment.invoice_line_ids.filtered(lambda line: line.parent_state != "cancel")
            adjustment.state = "invoiced" if live else "pending"

    @api.model
    def _from_line_vals(self, vals):
        return {
            "service_id": vals["service_id"],
            "partner_id": vals["partner_id"],
            "product_id": vals["product_id"],
            "name": vals["name"],
            "date_from": vals["wisp_period_start"],
            "date_to": vals["wisp_period_end"],
            "amount": vals["price_unit"],
        }

    def _to_line_vals(self):
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "name": self.name,
            "quantity": 1,
            "price_unit": self.amount,
            "wisp_service_id": self.service_id.id,
            "wisp_period_start": self.date_from,
            "wisp_period_end": self.date_to,
            "wisp_adjustment_id": self.id,
        }
