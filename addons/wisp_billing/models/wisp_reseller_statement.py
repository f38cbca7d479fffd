from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import MANAGER
from odoo.exceptions import UserError


class WispResellerStatement(models.Model):
    """A reseller's sales of a period: totals, commission and what it owes,
    invoiced in one click."""

    _name = "wisp.reseller.statement"
    _inherit = ["wisp.protected.fields.mixin"]
    _description = "Reseller Statement"
    _order = "date_to desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    reseller_id = fields.Many2one(
        "res.partner", required=True, domain="[('wisp_is_reseller', '=', True)]", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    sale_ids = fields.One2many("wisp.voucher.sale", "statement_id", string="Sales", readonly=True)
    sale_count = fields.Integer(compute="_compute_totals", store=True)
    total_sales = fields.Monetary(compute="_compute_totals", store=True)
    total_commission = fields.Monetary(compute="_compute_totals", store=True)
    amount_due = fields.Monetary(compute="_compute_totals", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("invoiced", "Invoiced")], default="draft", readonly=True
    )
    invoice_id = fields.Many2one("account.move", readonly=True)

    @api.model
    def _wisp_field_write_groups(self):
        # Set by Collect Sales and Invoice only (as superuser, after their checks).
        protected = dict.fromkeys(("sale_ids", "state", "invoice_id"), (MANAGER,))
        return {**super()._wisp_field_write_groups(), **protected}

    @api.depends("reseller_id", "date_from", "date_to")
    def _compute_name(self):
        for statement in self:
            statement.name = (
                f"{statement.reseller_id.name or ''} {statement.date_from or ''}"
                f" - {statement.date_to or ''}"
            )

    @api.depends("sale_ids.price", "sale_ids.commission", "sale_ids.amount_due")
    def _compute_totals(self):
        for statement in self:
            sales = statement.sale_ids
            statement.sale_count = len(sales)
            statement.total_sales = sum(sales.mapped("price"))
            statement.total_commission = sum(sales.mapped("commission"))
            statement.amount_due = sum(sales.mapped("amount_due"))

    @api.model_create_multi
    def create(self, vals_list):
        statements = super().create(vals_list)
        statements.action_collect()
        return statements

    def action_collect(self):
        """Attach the reseller's sales of the period not yet on a statement."""
        self.check_access("write")
        for statement in self:
            if statement.state != "draft":
                raise UserError(self.env._("An invoiced statement is final."))
            if statement.date_from > statement.date_to:
                raise UserError(self.env._("The period ends before it starts."))
            sales = self.env["wisp.voucher.sale"].search(
                [
                    ("reseller_id", "=", statement.reseller_id.id),
                    ("statement_id", "=", False),
                    ("date", ">=", fields.Datetime.to_datetime(statement.date_from)),
                    (
                        "date",
                        "<",
                        fields.Datetime.add(fields.Datetime.to_datetime(statement.date_to), days=1),
                    ),
                    ("company_id", "=", statement.company_id.id),
                ]
            )
            # billing staff only read sales: attaching them is part of the statement
            sales.sudo().statement_id = statement
        return True

    def action_invoice(self):
        """One customer invoice to the reseller for the consignment sales."""
        self.check_access("write")  # before the invoice is made as superuser
        for statement in self:
            if statement.state != "draft":
                raise UserError(self.env._("This statement is invoiced already."))
            due = statement.sale_ids.filtered(lambda s: s.mode == "consignment")
            if not due:
                raise UserError(self.env._("Nothing is due on this statement."))
            invoice = self.env["wisp.voucher"]._wisp_invoice_reseller(
                statement.reseller_id,
                [(sale.plan_id, sale.wholesale_amount) for sale in due],
                ref=statement.name,
            )
            statement.sudo().write({"invoice_id": invoice.id, "state": "invoiced"})
        return True

    def action_view_invoice(self):
        self.ensure_one()
        return self.invoice_id._get_records_action()
