from odoo import api, fields, models
from odoo.exceptions import UserError

from .product_template import SERVICE_TYPES


class WispConnectionRequest(models.Model):
    """A prospect asks for service at an address (website form, phone, reseller).

    Converting it makes (or reuses) the subscriber and a confirmed service,
    which in turn opens the installation order.
    """

    _name = "wisp.connection.request"
    _description = "Connection Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    contact_name = fields.Char(required=True, tracking=True)
    email = fields.Char(tracking=True)
    phone = fields.Char(tracking=True)
    street = fields.Char(required=True)
    street2 = fields.Char()
    zip = fields.Char()
    city = fields.Char(required=True)
    country_id = fields.Many2one("res.country")
    service_type = fields.Selection(SERVICE_TYPES, required=True, default="internet")
    plan_id = fields.Many2one(
        "product.product",
        string="Requested Plan",
        domain="[('is_wisp_plan', '=', True), ('service_type', '=', service_type)]",
    )
    site_id = fields.Many2one("wisp.site")
    source = fields.Selection(
        [
            ("website", "Website"),
            ("phone", "Phone"),
            ("reseller", "Reseller"),
            ("walk_in", "Walk-in"),
        ],
        default="phone",
        required=True,
    )
    note = fields.Text()
    user_id = fields.Many2one("res.users", string="Responsible", tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        tracking=True,
        help="Leave empty to create a new subscriber on conversion.",
    )
    service_id = fields.Many2one("wisp.service", readonly=True, copy=False)
    state = fields.Selection(
        [("new", "New"), ("converted", "Converted"), ("rejected", "Rejected")],
        default="new",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    reject_reason = fields.Char(readonly=True, tracking=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("wisp.connection.request")
        return super().create(vals_list)

    def _address_vals(self):
        return {
            "street": self.street,
            "street2": self.street2,
            "zip": self.zip,
            "city": self.city,
            "country_id": self.country_id.id,
        }

    def action_convert(self):
        services = self.env["wisp.service"]
        for request in self:
            if request.state != "new":
                raise UserError(
                    self.env._("Request %(name)s was already handled.", name=request.name)
                )
            partner, address = request._find_or_create_subscriber()
            service = services.create(
                {
                    "partner_id": partner.id,
                    "address_id": address.id,
                    "service_type": request.service_type,
                    "plan_id": request.plan_id.id,
                    "site_id": request.site_id.id,
                    "company_id": request.company_id.id,
                }
            )
            service.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": service, "origin": request},
                subtype_xmlid="mail.mt_note",
            )
            request.write(
                {"state": "converted", "partner_id": partner.id, "service_id": service.id}
            )
            services |= service
        services.action_confirm()
        if len(services) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "wisp.service",
                "res_id": services.id,
                "view_mode": "form",
            }
        return True

    def _find_or_create_subscriber(self):
        """Return (subscriber, service address) for this request.

        An existing subscriber gets the new address as a child contact unless it
        is the subscriber's own address, so one account holds many places.
        """
        partner = self.partner_id
        if not partner and self.email:
            partner = self.env["res.partner"].search(
                [("email", "=ilike", self.email.strip()), ("parent_id", "=", False)], limit=1
            )
        if not partner:
            partner = self.env["res.partner"].create(
                {
                    "name": self.contact_name,
                    "email": self.email,
                    "phone": self.phone,
                    **self._address_vals(),
                }
            )
            return partner, partner
        same_place = (partner.street or "").strip().lower() == self.street.strip().lower() and (
            partner.city or ""
        ).strip().lower() == self.city.strip().lower()
        if same_place:
            return partner, partner
        address = self.env["res.partner"].create(
            {
                "parent_id": partner.id,
                "type": "other",
                "name": self.street,
                **self._address_vals(),
            }
        )
        return partner, address

    def action_reject(self, reason=None):
        if self.filtered(lambda r: r.state != "new"):
            raise UserError(self.env._("Only a new request can be rejected."))
        return self.write({"state": "rejected", "reject_reason": reason})
