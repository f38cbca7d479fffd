from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING
from odoo.exceptions import UserError

from ..tools.allocation import allocate

# What a sale is made of: fixed once sold (its services were created from them).
SOLD_FIELDS = ("bundle_id", "partner_id", "address_id", "company_id")


class WispServiceBundle(models.Model):
    """A bundle sold to a subscriber: the services created for its plans, billed
    together at the bundle price while none of them has left.

    A service leaves (terminated, or moved to another plan): the bundle is
    *broken* from that day, the others are settled like a plan change and billed
    at their standalone prices again (see ``wisp.service._wisp_leave_bundles``).
    """

    _name = "wisp.service.bundle"
    _description = "Bundle Sold to a Subscriber"
    _inherit = ["wisp.protected.fields.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    bundle_id = fields.Many2one(
        "wisp.bundle", required=True, index=True, ondelete="restrict", check_company=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Subscriber", required=True, index=True, check_company=True
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Account", store=True, index=True
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Service Address",
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
        help="Where the services are delivered (default: the subscriber's address).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(
        string="Bundle Price",
        compute="_compute_price",
        store=True,
        precompute=True,
        help="Price per cycle it was sold at (the bundle's price that day), split "
        "over its services in proportion to their standalone prices.",
    )
    service_ids = fields.One2many("wisp.service", "wisp_bundle_sale_id", string="Services")
    state = fields.Selection(
        [("active", "Active"), ("broken", "Broken")],
        string="Status",
        default="active",
        required=True,
        readonly=True,
        help="Broken: one of its services left the bundle; the others are billed at "
        "their standalone prices from that day.",
    )
    break_date = fields.Date(readonly=True)

    @api.depends("bundle_id.name", "partner_id.name")
    def _compute_name(self):
        for sale in self:
            sale.name = f"{sale.bundle_id.name or ''} - {sale.partner_id.name or ''}"

    @api.depends("bundle_id")
    def _compute_price(self):
        for sale in self:
            sale.price = sale.bundle_id.price

    @api.model
    def _wisp_field_write_groups(self):
        # the price billed and whether it still applies: the bundle's and the billing code's
        protected = {"price": (BILLING,), "state": (), "break_date": ()}
        return {**super()._wisp_field_write_groups(), **protected}

    @api.model_create_multi
    def create(self, vals_list):
        """Selling a bundle orders one service per plan, in draft, as the seller
        (who must be allowed to take orders), each linked to the sale."""
        sales = super().create(vals_list)
        Service = self.env["wisp.service"]
        for sale in sales:
            services = Service.with_company(sale.company_id).create(
                [
                    {
                        "partner_id": sale.partner_id.id,
                        "address_id": (sale.address_id or sale.partner_id).id,
                        "company_id": sale.company_id.id,
                        "service_type": plan.service_type,
                        "plan_id": plan.id,
                    }
                    for plan in sale.bundle_id.plan_ids
                ]
            )
            # the link prices the services: written by this code only
            services.sudo().write({"wisp_bundle_sale_id": sale.id})
        return sales

    def write(self, vals):
        if self.ids and vals.keys() & set(SOLD_FIELDS):
            self.check_access("write")
            raise UserError(
                self.env._(
                    "A bundle sold cannot change bundle, subscriber, address or company: "
                    "terminate its services and sell again."
                )
            )
        return super().write(vals)

    def _wisp_allocation(self):
        """``{service: its share of the bundle price per cycle}``: the bundle price
        split in proportion to each service's standalone price per cycle (relative
        standalone selling price), the rounding remainder on the largest."""
        self.ensure_one()
        services = self.service_ids.filtered("plan_id").sorted("id")
        weights = [
            service._wisp_standalone_price(service.plan_id)
            / service.plan_id.product_tmpl_id._billing_period_months()
            for service in services
        ]
        shares = allocate(self.price, weights, self.currency_id.round)
        return dict(zip(services, shares, strict=True))

    def _wisp_break(self, day, leaving):
        """``leaving`` services leave these bundles on ``day``: the others are settled
        up to the day before at their share and billed at their standalone price
        from ``day``; the bundles are broken and their minimum term is over."""
        Service = self.env["wisp.service"]
        for sale in self:
            staying = (sale.service_ids - leaving).sudo()
            staying._wisp_settle_plan_only(day)
            for service in staying:
                service.message_post(
                    body=self.env._(
                        "Bundle %(bundle)s broken on %(date)s: billed at the plan's own "
                        "price from that day.",
                        bundle=sale.name,
                        date=day,
                    )
                )
            Service |= sale.service_ids
        # bookkeeping of a checked move (termination or plan change)
        self.sudo().write({"state": "broken", "break_date": day})
        Service.sudo().write({"wisp_term_end": False, "wisp_term_plan_id": False})
