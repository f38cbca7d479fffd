import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..tools.access import STAFF, SUPPORT, check_groups, related_action
from ..tools.segment import comparison
from .wisp_service import SERVICE_STATES

# A subscriber's status is its most pressing service status: a suspended
# branch makes the account "suspended" on lists and filters.
STATE_PRIORITY = [
    "suspended",
    "restricted",
    "active",
    "paused",
    "installation",
    "confirmed",
    "draft",
    "terminated",
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    subscriber_code = fields.Char(copy=False, index=True, readonly=True)
    service_ids = fields.One2many(
        "wisp.service",
        "commercial_partner_id",
        string="Services",
        help="Every service of this account, its branches' included.",
    )
    service_count = fields.Integer(compute="_compute_service_count")
    subscriber_state = fields.Selection(
        SERVICE_STATES,
        string="Subscriber Status",
        compute="_compute_subscriber_state",
        store=True,
        index="btree_not_null",  # the dashboard counts accounts per status from it alone
    )

    wisp_service_summary = fields.Char(
        string="Services by Status",
        compute="_compute_wisp_rollup",
        help="How many of the account's services are in each status, most pressing first.",
    )
    wisp_has_active = fields.Boolean(compute="_compute_wisp_rollup")
    wisp_has_blocked = fields.Boolean(compute="_compute_wisp_rollup")
    wisp_has_paused = fields.Boolean(compute="_compute_wisp_rollup")

    wisp_message_channel = fields.Selection(
        [("email", "E-mail"), ("sms", "SMS"), ("both", "E-mail and SMS")],
        string="Messages By",
        default="email",
        help="How the subscriber hears about invoices, payments, suspensions and the "
        "like. Campaigns follow the marketing opt-outs instead.",
    )
    wisp_sms_number = fields.Char(
        string="SMS Number",
        compute="_compute_wisp_sms_number",
        store=True,
        help="The phone number in international format, where SMS messages go.",
    )

    _subscriber_code_uniq = models.Constraint(
        "UNIQUE(subscriber_code)", "A subscriber code must be unique."
    )

    @api.depends("phone", "country_id")
    def _compute_wisp_sms_number(self):
        for partner in self:
            partner.wisp_sms_number = partner.phone and partner._phone_format(
                number=partner.phone, country=partner.country_id, force_format="E164"
            )

    @api.constrains("wisp_message_channel", "phone", "country_id")
    def _check_wisp_sms_number(self):
        for partner in self.filtered(lambda p: p.wisp_message_channel in ("sms", "both")):
            if not partner.wisp_sms_number:
                raise ValidationError(
                    self.env._(
                        "%(partner)s gets messages by SMS: %(phone)s is not a phone number "
                        "SMS can reach (give it in international format, e.g. +1 555 0100, "
                        "or set the country).",
                        partner=partner.display_name,
                        phone=partner.phone or self.env._("no number"),
                    )
                )

    def _wisp_marketing_opted_out(self):
        """Whether the subscriber refused offers: Odoo's own blacklists, which mass
        mailing and SMS campaigns honour (service messages do not look at them)."""
        self.ensure_one()
        return self.is_blacklisted or self.phone_sanitized_blacklisted

    def _wisp_set_message_preferences(self, channel, marketing_opt_out):
        """The subscriber's message choices, from the portal or by staff on its behalf:
        the channel of service messages, and offers (campaigns) or none."""
        self.ensure_one()
        self.write({"wisp_message_channel": channel})
        reason = self.env._("Chosen by the subscriber")
        emails, numbers = self.env["mail.blacklist"].sudo(), self.env["phone.blacklist"].sudo()
        if marketing_opt_out:
            if self.email:
                emails._add(self.email, message=reason)
            if self.phone_sanitized:
                numbers._add([self.phone_sanitized], message=reason)
        else:
            if self.email:
                emails._remove(self.email, message=reason)
            if self.phone_sanitized:
                numbers._remove([self.phone_sanitized], message=reason)

    def _wisp_message_channels(self):
        """The channels a subscriber message goes by: the partner's choice among those
        it can be reached on, else whichever reaches it."""
        self.ensure_one()
        reachable = {"email": bool(self.email), "sms": bool(self.wisp_sms_number)}
        wanted = {"email": ["email"], "sms": ["sms"], "both": ["email", "sms"]}[
            self.wisp_message_channel or "email"
        ]
        return [c for c in wanted if reachable[c]] or [c for c in reachable if reachable[c]][:1]

    @api.depends("service_ids.state")
    def _compute_subscriber_state(self):
        for partner in self:
            states = set(partner.service_ids.mapped("state"))
            partner.subscriber_state = next((s for s in STATE_PRIORITY if s in states), False)

    def _compute_wisp_rollup(self):
        counts = {}
        for account, state, count in self.env["wisp.service"]._read_group(
            [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
            ["commercial_partner_id", "state"],
            ["__count"],
        ):
            counts.setdefault(account, {})[state] = count
        labels = dict(self.env["wisp.service"]._fields["state"]._description_selection(self.env))
        for partner in self:
            by_state = counts.get(partner.commercial_partner_id, {})
            partner.wisp_service_summary = " · ".join(
                f"{by_state[state]} {labels[state]}"
                for state in STATE_PRIORITY
                if state in by_state
            )
            partner.wisp_has_active = "active" in by_state
            partner.wisp_has_blocked = bool(by_state.keys() & {"restricted", "suspended"})
            partner.wisp_has_paused = "paused" in by_state

    def _compute_service_count(self):
        counts = dict(
            self.env["wisp.service"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.service_count = counts.get(partner.commercial_partner_id, 0)

    def _wisp_address_line(self, with_name=True):
        """'Name, street, zip city' on one line: what tells staff and subscribers where.
        Without the name for a subscriber's own address (the name is the person's)."""
        self.ensure_one()
        city = " ".join(filter(None, [self.zip, self.city]))
        name = self.name if with_name else None
        return ", ".join(filter(None, [name, self.street, self.street2, city]))

    def _assign_subscriber_code(self):
        new = self.filtered(lambda p: not p.subscriber_code)
        if not new:
            return
        sequence = self.env["ir.sequence"].search([("code", "=", "wisp.subscriber")], limit=1)
        for partner in new:
            partner.subscriber_code = sequence._next()

    def action_make_subscriber(self):
        check_groups(self.env, (SUPPORT,))
        self.check_access("read")
        # The code is bookkeeping: support agents need not be allowed to edit contacts.
        self.commercial_partner_id.sudo()._assign_subscriber_code()
        return True

    def action_view_services(self):
        return related_action(
            self,
            STAFF,
            "wisp_subscriber.wisp_service_action",
            lambda record: (
                [("commercial_partner_id", "=", record.commercial_partner_id.id)],
                {
                    "default_partner_id": record.id,
                    "search_default_group_address": 1,
                },
            ),
        )

    # -------------------------------------------------------------------------
    # Segment facts: what campaigns (wisp_portal's segments) filter accounts on.
    # Each searches with one domain on the services, never partner by partner.
    # -------------------------------------------------------------------------
    wisp_plan_ids = fields.Many2many(
        "product.product",
        string="Plans",
        compute="_compute_wisp_segment_facts",
        search="_search_wisp_plan_ids",
        groups="base.group_user",
        help="Plans of the account's services that are not terminated.",
    )
    wisp_site_ids = fields.Many2many(
        "wisp.site",
        string="Sites",
        compute="_compute_wisp_segment_facts",
        search="_search_wisp_site_ids",
        groups="base.group_user",
        help="Sites serving the account's services that are not terminated.",
    )
    wisp_prepaid_expiry_days = fields.Integer(
        string="Prepaid Expires In (days)",
        compute="_compute_wisp_prepaid_expiry_days",
        search="_search_wisp_prepaid_expiry_days",
        groups="base.group_user",
        help="Days until the first end of prepaid time among the account's active "
        "prepaid services (0: none running). A filter 'at most 7' finds the accounts "
        "whose prepaid time ends within 7 days.",
    )

    def _wisp_live_services_domain(self):
        return Domain("state", "!=", "terminated")

    def _compute_wisp_segment_facts(self):
        services = self.env["wisp.service"].search(
            Domain("commercial_partner_id", "in", self.commercial_partner_id.ids)
            & self._wisp_live_services_domain()
        )
        for partner in self:
            mine = services.filtered(
                lambda s, account=partner.commercial_partner_id: s.commercial_partner_id == account
            )
            partner.wisp_plan_ids = mine.plan_id
            partner.wisp_site_ids = mine.site_id

    def _search_wisp_service_fact(self, field_name, operator, value):
        if operator not in ("in", "not in", "any", "not any"):
            return NotImplemented
        positive = {"not in": "in", "not any": "any"}.get(operator, operator)
        services = self._wisp_live_services_domain() & Domain(field_name, positive, value)
        return Domain("service_ids", "any" if positive == operator else "not any", services)

    def _search_wisp_plan_ids(self, operator, value):
        return self._search_wisp_service_fact("plan_id", operator, value)

    def _search_wisp_site_ids(self, operator, value):
        return self._search_wisp_service_fact("site_id", operator, value)

    def _wisp_running_prepaid_domain(self):
        now = fields.Datetime.now()
        return Domain(
            [
                ("state", "=", "active"),
                ("plan_id.is_prepaid", "=", True),
                ("expiry_datetime", ">", now),
            ]
        )

    def _compute_wisp_prepaid_expiry_days(self):
        now = fields.Datetime.now()
        ends = dict(
            self.env["wisp.service"]._read_group(
                Domain("commercial_partner_id", "in", self.commercial_partner_id.ids)
                & self._wisp_running_prepaid_domain(),
                ["commercial_partner_id"],
                ["expiry_datetime:min"],
            )
        )
        for partner in self:
            end = ends.get(partner.commercial_partner_id)
            # a day begun counts: "expires in 1 day" is anything within the next 24 h
            partner.wisp_prepaid_expiry_days = (
                math.ceil((end - now) / timedelta(days=1)) if end else 0
            )

    def _search_wisp_prepaid_expiry_days(self, operator, value):
        """Accounts with a running prepaid service ending within the days given (the
        compute's rounding up: "at most N" is an end within N x 24 h). Accounts
        without running prepaid time never match."""
        compared = comparison(operator, value)
        if compared is None or compared[0] == "!=":
            return NotImplemented
        operator, days = compared
        # (exclusive lower, inclusive upper) bound of the end, in days from now
        lower, upper = {
            "<=": (None, days),
            "<": (None, days - 1),
            "=": (days - 1, days),
            ">": (days, None),
            ">=": (days - 1, None),
        }[operator]
        now = fields.Datetime.now()
        services = self._wisp_running_prepaid_domain()
        if lower is not None:
            services &= Domain("expiry_datetime", ">", now + timedelta(days=lower))
        if upper is not None:
            services &= Domain("expiry_datetime", "<=", now + timedelta(days=upper))
        return Domain("service_ids", "any", services)
