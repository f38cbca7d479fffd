from odoo import api, fields, models


class WispServiceInstallment(models.Model):
    """Equipment or installation fee paid in equal parts with the service bills.

    Billing adds one installment line per cycle and raises ``paid_count``.
    """

    _name = "wisp.service.installment"
    _description = "Service Installment Plan"
    _order = "service_id, id"

    name = fields.Char(string="Description", required=True)
    service_id = fields.Many2one("wisp.service", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="service_id.commercial_partner_id", store=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    currency_id = fields.Many2one(related="service_id.currency_id")
    product_id = fields.Many2one(
        "product.product", help="Product booked on the invoice line (income account, taxes)."
    )
    amount = fields.Monetary(string="Amount per Installment", required=True)
    installment_count = fields.Integer(string="Installments", required=True, default=12)
    paid_count = fields.Integer(string="Billed so far", default=0, copy=False)
    remaining_count = fields.Integer(compute="_compute_progress", store=True)
    total_amount = fields.Monetary(compute="_compute_progress", store=True)
    remaining_amount = fields.Monetary(compute="_compute_progress", store=True)
    is_done = fields.Boolean(compute="_compute_progress", store=True)

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "An installment amount must be positive."
    )
    _count_valid = models.Constraint(
        "CHECK(installment_count > 0 AND paid_count >= 0 AND paid_count <= installment_count)",
        "Installments billed must lie between 0 and the number of installments.",
    )

    @api.depends("amount", "installment_count", "paid_count")
    def _compute_progress(self):
        for plan in self:
            plan.remaining_count = max(plan.installment_count - plan.paid_count, 0)
            plan.total_amount = plan.amount * plan.installment_count
            plan.remaining_amount = plan.amount * plan.remaining_count
            plan.is_done = plan.remaining_count == 0

    @api.depends("name", "paid_count", "installment_count")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = f"{plan.name} ({plan.paid_count}/{plan.installment_count})"
