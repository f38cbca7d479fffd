import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from ..tools.access import SUPPORT, check_groups
from ..tools.geo import has_position
from .product_template import SERVICE_TYPES

# Two phone numbers are the same line when their last digits agree: the rest is
# formatting and country prefixes typed or not.
PHONE_DIGITS = 8


def phone_key(phone):
    """The last PHONE_DIGITS digits of ``phone``, or "" when it has fewer."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else ""


# Set by the request's actions only, which write them as superuser once checked.
ACTION_FIELDS = ("state", "service_id", "reject_reason")


class WispConnectionRequest(models.Model):
    """A prospect asks for service at an address (website form, phone, reseller).

    Converting it makes the subscriber (or, when ``partner_id`` is set, reuses
    it) and a confirmed service, which in turn opens the installation order.
    ``partner_id`` is set only by staff choosing the subscriber or by the
    website for a logged-in subscriber: an e-mail typed by a visitor proves
    nothing, so an existing subscriber with that e-mail is merely suggested
    (``matching_partner_id``) for staff to confirm.
    """

    _name = "wisp.connection.request"
    _description = "Connection Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "wisp.protected.fields.mixin"]
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
    latitude = fields.Float(digits=(10, 7), help="Position of the address, for the coverage check.")
    longitude = fields.Float(digits=(10, 7))
    nearest_site_id = fields.Many2one(
        "wisp.site",
        compute="_compute_coverage",
        groups="base.group_user",
        help="The site closest to the address (straight line).",
    )
    nearest_site_km = fields.Float(
        string="Distance to Site (km)",
        digits=(16, 2),
        compute="_compute_coverage",
        groups="base.group_user",
    )
    coverage = fields.Selection(
        [
            ("covered", "In Coverage"),
            ("out", "Out of Coverage"),
            ("unknown", "Position Unknown"),
        ],
        compute="_compute_coverage",
        groups="base.group_user",
        help="Covered: within the coverage radius of the nearest site.",
    )
    duplicate_warning = fields.Text(
        compute="_compute_duplicate_warning",
        groups="base.group_user",
        help="Subscribers and other open requests with the same address, e-mail or phone.",
    )
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
    matching_partner_id = fields.Many2one(
        "res.partner",
        string="Existing Subscriber?",
        compute="_compute_matching_partner_id",
        groups="base.group_user",
        help="An account whose e-mail is the one typed on the request. Anybody can type "
        "an e-mail: set it as the subscriber only once you know the request is theirs.",
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

    @api.depends("email", "partner_id")
    def _compute_matching_partner_id(self):
        emails = {
            request.id: email_normalize(request.email or "")
            for request in self
            if not request.partner_id
        }
        found = self.env["res.partner"].search(
            [("email_normalized", "in", [email for email in emails.values() if email])]
        )
        by_email = {}
        for partner in found.sorted("id"):
            by_email.setdefault(partner.email_normalized, partner.commercial_partner_id)
        for request in self:
            request.matching_partner_id = by_email.get(emails.get(request.id), False)

    @api.depends("latitude", "longitude")
    def _compute_coverage(self):
        sites = self.env["wisp.site"].search([])
        for request in self:
            site, km = sites.browse(), 0.0
            if has_position(request.latitude, request.longitude):
                site, km = sites._nearest(request.latitude, request.longitude)
            request.nearest_site_id = site
            request.nearest_site_km = km
            if not site:
                request.coverage = "unknown"
            else:
                request.coverage = "covered" if km <= site.coverage_radius_km else "out"

    @api.depends("street", "city", "email", "phone", "partner_id")
    def _compute_duplicate_warning(self):
        for request in self:
            lines = []
            for label, partners, requests in request._find_duplicates():
                names = [p.display_name for p in partners] + [r.name for r in requests]
                if names:
                    lines.append(
                        self.env._("Same %(what)s: %(names)s", what=label, names=", ".join(names))
                    )
            request.duplicate_warning = "\n".join(lines) or False

    def _find_duplicates(self):
        """[(what, subscribers, open requests)] sharing this request's address,
        e-mail or phone, among the records the user may read. The subscriber the
        request is already for is not a duplicate of it."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        others = [("state", "=", "new"), ("id", "!=", self.id or 0)]
        result = []
        if self.street and self.city:
            place = [
                ("street", "=ilike", self.street.strip()),
                ("city", "=ilike", self.city.strip()),
            ]
            result.append(
                (
                    self.env._("address"),
                    Partner.search(place, limit=5),
                    self.search([*others, *place], limit=5),
                )
            )
        email = email_normalize(self.email or "")
        if email:
            result.append(
                (
                    self.env._("e-mail"),
                    Partner.search([("email_normalized", "=", email)], limit=5),
                    self.search([*others, ("email", "ilike", email)]).filtered(
                        lambda r, e=email: email_normalize(r.email or "") == e
                    )[:5],
                )
            )
        key = phone_key(self.phone)
        if key:
            result.append(
                (
                    self.env._("phone"),
                    Partner.search([("id", "in", self._ids_with_phone(Partner, key))], limit=5),
                    self.search([*others, ("id", "in", self._ids_with_phone(self, key))], limit=5),
                )
            )
        own = self.partner_id.commercial_partner_id
        return [
            (what, partners.filtered(lambda p, o=own: p.commercial_partner_id != o), requests)
            for what, partners, requests in result
        ]

    @api.model
    def _ids_with_phone(self, model, key):
        """Ids of ``model`` records whose phone ends with the digits ``key``,
        however it is formatted. Unfiltered by access: callers search them again."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE regexp_replace(phone, '\\D', '', 'g') LIKE %s",
                SQL.identifier(model._table),
                f"%{key}",
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("wisp.connection.request")
        return super().create(vals_list)

    @api.model
    def _wisp_field_write_groups(self):
        return {**super()._wisp_field_write_groups(), **dict.fromkeys(ACTION_FIELDS, ())}

    def _address_vals(self):
        vals = {
            "street": self.street,
            "street2": self.street2,
            "zip": self.zip,
            "city": self.city,
            "country_id": self.country_id.id,
        }
        if has_position(self.latitude, self.longitude):
            # the subscriber's place on the map of sites and subscribers
            vals.update(partner_latitude=self.latitude, partner_longitude=self.longitude)
        return vals

    def action_use_matching_partner(self):
        """Staff confirm that the request is the suggested subscriber's."""
        check_groups(self.env, (SUPPORT,))
        self.check_access("write")
        for request in self.filtered("matching_partner_id"):
            request.partner_id = request.matching_partner_id
        return True

    def action_convert(self):
        check_groups(self.env, (SUPPORT,))
        self.check_access("write")
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
                    "site_id": request._service_site().id,
                    "company_id": request.company_id.id,
                }
            )
            service.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": service, "origin": request},
                subtype_xmlid="mail.mt_note",
            )
            request.write({"partner_id": partner.id})
            request.sudo().write({"state": "converted", "service_id": service.id})
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

    def _service_site(self):
        """The site chosen on the request, else the nearest one when it covers the address."""
        if self.site_id or self.coverage != "covered":
            return self.site_id
        return self.nearest_site_id

    def _find_or_create_subscriber(self):
        """Return (subscriber, service address) for this request.

        Only the request's own ``partner_id`` is an existing subscriber; without
        it a new one is made, whatever e-mail was typed. An existing subscriber
        gets the new address as a child contact unless it is the subscriber's own
        address, so one account holds many places. Contacts are made as
        superuser: converting is the support agent's job, editing contacts not.
        """
        partner = self.partner_id
        Partner = self.env["res.partner"].sudo()
        if not partner:
            partner = Partner.create(
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
        address = Partner.create(
            {
                "parent_id": partner.id,
                "type": "other",
                "name": self.street,
                **self._address_vals(),
            }
        )
        return partner, address

    def action_reject(self, reason=None):
        check_groups(self.env, (SUPPORT,))
        self.check_access("write")
        if self.filtered(lambda r: r.state != "new"):
            raise UserError(self.env._("Only a new request can be rejected."))
        return self.sudo().write({"state": "rejected", "reject_reason": reason})
