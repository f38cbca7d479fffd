from odoo import api, fields, models
from odoo.exceptions import ValidationError


class WispBundle(models.Model):
    """An offer selling several plans together at one price per cycle
    (Internet + IPTV + VoIP...). Sold to a subscriber as a ``wisp.service.bundle``,
    which creates one service per plan; each service is then billed its share of
    the bundle price (``wisp.service.bundle._wisp_allocation``)."""

    _name = "wisp.bundle"
    _description = "Service Bundle"
    _inherit = ["wisp.term.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(
        string="Bundle Price",
        required=True,
        help="Price of the whole bundle per billing cycle (month), before tax.",
    )
    plan_ids = fields.Many2many(
        "product.product",
        string="Plans",
        required=True,
        check_company=True,
        domain="[('is_wisp_plan', '=', True), ('is_prepaid', '=', False)]",
        help="One service per plan is created when the bundle is sold.",
    )
    standalone_price = fields.Monetary(
        string="Price of the Plans Alone",
        compute="_compute_standalone_price",
        help="Sum of the plans' list prices per cycle: what the bundle saves.",
    )
    sale_ids = fields.One2many("wisp.service.bundle", "bundle_id", string="Sales")
    sale_count = fields.Integer(compute="_compute_sale_count")

    _price_positive = models.Constraint("CHECK(price >= 0)", "A bundle price cannot be negative.")

    @api.depends("plan_ids.lst_price", "plan_ids.billing_period")
    def _compute_standalone_price(self):
        for bundle in self:
            bundle.standalone_price = sum(
                plan.lst_price / plan.product_tmpl_id._billing_period_months()
                for plan in bundle.plan_ids
            )

    def _compute_sale_count(self):
        counts = dict(
            self.env["wisp.service.bundle"]._read_group(
                [("bundle_id", "in", self.ids)], ["bundle_id"], ["__count"]
            )
        )
        for bundle in self:
            bundle.sale_count = counts.get(bundle, 0)

    @api.constrains("plan_ids")
    def _check_plans(self):
        for bundle in self:
            if len(bundle.plan_ids) < 2:
                raise ValidationError(
                    self.env._("Bundle %(bundle)s needs at least two plans.", bundle=bundle.name)
                )

    def action_view_sales(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bundle Sales"),
            "res_model": "wisp.service.bundle",
            "view_mode": "list,form",
            "domain": [("bundle_id", "=", self.id)],
            "context": {"default_bundle_id": self.id},
        }
