import re
import secrets
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.access import (
    BILLING,
    MANAGER,
    NETWORK,
    STAFF,
    SUPPORT,
    check_groups,
    has_groups,
    related_action,
)
from ..tools.each_alone import batch_then_each_alone
from .product_template import SERVICE_TYPES
from .wisp_cpe_device import normalize_ip

# The value of the context key ``wisp_import`` while the migration wizard writes.
# A context key alone proves nothing: any RPC caller sets one, and a public method
# that goes superuser (an installer completing an order) keeps the caller's
# context. No JSON request can carry this object.
WISP_IMPORT_RUN = object()

SERVICE_STATES = [
    ("draft", "Draft"),
    ("confirmed", "Confirmed"),
    ("installation", "Installation Scheduled"),
    ("active", "Active"),
    ("restricted", "Restricted"),
    ("suspended", "Suspended"),
    ("paused", "Paused"),
    ("terminated", "Terminated"),
]

# The life cycle: transition -> (states it may start from, state it ends in).
# Every state change goes through _apply_transition, which enforces this table.
TRANSITIONS = {
    "confirm": (("draft",), "confirmed"),
    "schedule_installation": (("confirmed",), "installation"),
    "activate": (("confirmed", "installation"), "active"),
    "restrict": (("active",), "restricted"),
    "suspend": (("active", "restricted"), "suspended"),
    "reactivate": (("restricted", "suspended"), "active"),
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "terminate": (
        ("draft", "confirmed", "installation", "active", "restricted", "suspended", "paused"),
        "terminated",
    ),
}

# The moves a subscriber is told about (wisp.message), and the event that tells it.
STATE_MESSAGES = {
    "restrict": "services_suspended",
    "suspend": "services_suspended",
    "reactivate": "access_restored",
}

# Who may make each move (the manager implies every role). Support agents take
# and start orders; cutting a customer off (or back on) is for billing and network
# staff. Superuser jobs (dunning cron, an installation order completed) pass.
CUT_OFF_GROUPS = (BILLING, NETWORK)
TRANSITION_GROUPS = {
    "confirm": (SUPPORT,),
    "schedule_installation": (SUPPORT,),
    "activate": (SUPPORT, NETWORK),
    "restrict": CUT_OFF_GROUPS,
    "suspend": CUT_OFF_GROUPS,
    "reactivate": CUT_OFF_GROUPS,
    "pause": CUT_OFF_GROUPS,
    "resume": CUT_OFF_GROUPS,
    "terminate": CUT_OFF_GROUPS,
}
# Written by the life cycle only, which writes as superuser once the move is checked.
LIFECYCLE_FIELDS = ("state", "state_reason", "activation_date", "termination_date")
# A prepaid pass's clock, kept by the suite (redemption, first login seen on the router).
PREPAID_CLOCK_FIELDS = (
    "pass_started",
    "prepaid_pending_s",
    "prepaid_pending_since",
    "uptime_limit_s",
)
# Writable only by these roles whatever the record: the end of a prepaid period is
# paid time, the end of a pause unbilled time.
FIELD_WRITE_GROUPS = {
    "expiry_date": (MANAGER,),
    "expiry_datetime": (MANAGER,),
    "pause_until": CUT_OFF_GROUPS,
}
# Services still being ordered: what support agents set up when taking an order.
ORDER_STATES = ("draft", "confirmed", "installation")

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
# No look-alike characters (0/O, 1/l/I) so a password read over the phone works.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
PASSWORD_LENGTH = 12


def generate_network_password():
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))


class WispService(models.Model):
    """One sub-service of a subscriber (Internet, IPTV or VoIP at one address).

    The subscriber is ``partner_id``; its commercial partner is the account that
    is billed, so an enterprise with many branches sees every branch's services
    on the company. Other addons follow the life cycle by overriding
    :meth:`_on_state_change`, never by writing ``state`` themselves.
    """

    _name = "wisp.service"
    _description = "Subscriber Service"
    _inherit = ["mail.thread", "mail.activity.mixin", "wisp.protected.fields.mixin"]
    _order = "commercial_partner_id, address_id, id"
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, index="trigram", default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Account",
        store=True,
        index=True,
        help="The commercial entity that is billed for this service.",
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Service Address",
        index=True,
        tracking=True,
        compute="_compute_address_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
        help="Where the service is delivered: the subscriber's own address or one "
        "of its contacts (apartment, office, branch).",
    )
    address_text = fields.Char(
        string="Street",
        compute="_compute_address_text",
        # whoever reads the service reads where it is, without reading the contact
        compute_sudo=True,
        help="The service address on one line: street and city (and the name of a "
        "branch or apartment).",
    )
    site_id = fields.Many2one("wisp.site", tracking=True, check_company=True)
    service_type = fields.Selection(SERVICE_TYPES, required=True, default="internet", tracking=True)
    plan_id = fields.Many2one(
        "product.product",
        tracking=True,
        check_company=True,
        domain="[('is_wisp_plan', '=', True), ('service_type', '=', service_type)]",
    )
    addon_ids = fields.Many2many(
        "product.product",
        string="Add-ons",
        domain="[('is_wisp_addon', '=', True)]",
    )
    device_ids = fields.One2many("wisp.cpe.device", "service_id", string="Devices")
    installment_ids = fields.One2many(
        "wisp.service.installment", "service_id", string="Installments"
    )
    installation_order_ids = fields.One2many(
        "wisp.installation.order",
        "service_id",
        string="Installation Orders",
        groups="base.group_user",
    )
    state = fields.Selection(
        SERVICE_STATES,
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    state_reason = fields.Char(
        string="Status Reason",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why the service is restricted, suspended, paused or terminated.",
    )
    # indexed for the dashboard's "new" and "churned this month"
    activation_date = fields.Date(readonly=True, copy=False, tracking=True, index="btree_not_null")
    expiry_datetime = fields.Datetime(
        string="Expires At",
        copy=False,
        tracking=True,
        index="btree_not_null",
        help="When prepaid access ends. Empty while a pass waits for its first login.",
    )
    # the day of expiry_datetime, for lists, filters and fixed terms typed as a date
    expiry_date = fields.Date(
        compute="_compute_expiry_date",
        inverse="_inverse_expiry_date",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        help="End of the prepaid period or fixed term (access runs through this day when "
        "typed as a date).",
    )
    pass_started = fields.Datetime(
        string="Prepaid Time Started",
        readonly=True,
        copy=False,
        help="First login of the current prepaid pass (or its activation, as the plan says).",
    )
    prepaid_pending_s = fields.Integer(
        string="Prepaid Time Not Started (s)",
        readonly=True,
        copy=False,
        help="Time bought that starts counting at the next first login.",
    )
    prepaid_pending_since = fields.Datetime(
        string="Waiting for First Login Since",
        readonly=True,
        copy=False,
        help="Sessions from this moment on start the waiting prepaid time.",
    )
    uptime_limit_s = fields.Integer(
        string="Online Time Bought (s)",
        readonly=True,
        copy=False,
        help="Total online time of every pass put on this service: the router cuts the "
        "login when its counted online time reaches it (hotspot limit-uptime, RADIUS "
        "Max-All-Session). 0: no limit.",
    )
    pause_until = fields.Date(
        copy=False, tracking=True, help="A paused service resumes on this date."
    )
    termination_date = fields.Date(readonly=True, copy=False, tracking=True, index="btree_not_null")
    login = fields.Char(
        copy=False,
        tracking=True,
        index=True,
        help="PPPoE / hotspot user name on the network. Generated when empty.",
    )
    network_secret = fields.Char(
        string="Stored Network Password",
        copy=False,
        groups=NETWORK,
        help="Storage of the network password; read and written through network_password.",
    )
    # Not stored, hence neither searchable nor groupable: an installer cannot guess
    # the passwords it may not read by filtering or grouping on them.
    network_password = fields.Char(
        compute="_compute_network_password",
        inverse="_inverse_network_password",
        groups=f"{NETWORK},wisp_subscriber.group_wisp_installer",
        help="PPPoE / hotspot password. Never tracked in the chatter. Installers read it "
        "only for the services of the open installation orders assigned to them.",
    )
    ip_address = fields.Char(string="Static IP", tracking=True)
    is_prepaid = fields.Boolean(related="plan_id.is_prepaid")
    download_kbps = fields.Integer(related="plan_id.download_kbps")
    upload_kbps = fields.Integer(related="plan_id.upload_kbps")
    note = fields.Html(groups="base.group_user")
    device_count = fields.Integer(compute="_compute_device_count")
    installation_count = fields.Integer(
        compute="_compute_installation_count", groups="base.group_user"
    )

    _login_uniq = models.Constraint(
        "UNIQUE(login)", "This network login is already used by another service."
    )

    @api.depends("partner_id")
    def _compute_address_id(self):
        for service in self:
            if not service.address_id or service.address_id not in (
                service.partner_id | service.partner_id.child_ids
            ):
                service.address_id = service.partner_id

    @api.depends(
        "partner_id",
        "address_id.name",
        "address_id.street",
        "address_id.street2",
        "address_id.zip",
        "address_id.city",
    )
    def _compute_address_text(self):
        for service in self:
            address = service.address_id
            service.address_text = (
                address._wisp_address_line(with_name=address != service.partner_id)
                if address
                else False
            )

    def _compute_device_count(self):
        devices = dict(
            self.env["wisp.cpe.device"]._read_group(
                [("service_id", "in", self.ids)], ["service_id"], ["__count"]
            )
        )
        for service in self:
            service.device_count = devices.get(service, 0)

    def _compute_installation_count(self):
        orders = dict(
            self.env["wisp.installation.order"]._read_group(
                [("service_id", "in", self.ids)], ["service_id"], ["__count"]
            )
        )
        for service in self:
            service.installation_count = orders.get(service, 0)

    @api.depends(
        "network_secret",
        "installation_order_ids.installer_id",
        "installation_order_ids.state",
    )
    @api.depends_context("uid")
    def _compute_network_password(self):
        readable = self._network_password_scope()
        for service in self:
            secret = service.sudo().network_secret if service in readable else False
            service.network_password = secret

    def _inverse_network_password(self):
        if self - self._network_password_scope():
            raise AccessError(
                self.env._("Only network engineers may set the password of this service.")
            )
        for service in self:
            service.sudo().network_secret = service.network_password

    def _network_password_scope(self):
        """The services of ``self`` whose network password the user may read and set.

        Network engineers and managers: all of them. An installer: those of the
        installation orders assigned to it that are not done nor cancelled.
        """
        if has_groups(self.env, (NETWORK,)):
            return self
        orders = self.env["wisp.installation.order"].search(
            [
                ("service_id", "in", self.ids),
                ("installer_id", "=", self.env.uid),
                ("state", "in", ("draft", "scheduled")),
            ]
        )
        return orders.service_id

    def _wisp_tz(self):
        """The company's time zone (its address's), UTC without one: a stored date must
        not depend on who happened to trigger its computation."""
        return pytz.timezone(self.company_id.partner_id.tz or "UTC")

    @api.depends("expiry_datetime", "company_id")
    def _compute_expiry_date(self):
        for service in self:
            moment = service.expiry_datetime
            service.expiry_date = (
                pytz.utc.localize(moment).astimezone(service._wisp_tz()).date() if moment else False
            )

    def _inverse_expiry_date(self):
        # a date typed by hand: access runs through that day (company time)
        for service in self:
            if not service.expiry_date:
                service.expiry_datetime = False
                continue
            local = service._wisp_tz().localize(
                datetime.combine(service.expiry_date, time.max.replace(microsecond=0))
            )
            service.expiry_datetime = local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.depends("name", "service_type", "address_id")
    def _compute_display_name(self):
        types = dict(SERVICE_TYPES)
        for service in self:
            service.display_name = f"{service.name} {types.get(service.service_type, '')}".strip()

    # -------------------------------------------------------------------------
    # Access
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_field_write_groups(self):
        return {
            **super()._wisp_field_write_groups(),
            **dict.fromkeys(LIFECYCLE_FIELDS, ()),
            **dict.fromkeys(PREPAID_CLOCK_FIELDS, ()),
            **FIELD_WRITE_GROUPS,
        }

    def _wisp_scoped_write_groups(self):
        """``{field: (roles while being ordered, roles once running)}``.

        Taking an order is support's job; once a service runs, what it costs and
        who pays for it is billing's, and how it reaches the network the network
        engineers'. Other addons add their fields.
        """
        return {
            "plan_id": ((SUPPORT, BILLING), (BILLING,)),
            "addon_ids": ((SUPPORT, BILLING), (BILLING,)),
            "partner_id": ((SUPPORT,), (BILLING,)),
            "company_id": ((SUPPORT,), (BILLING,)),
            "login": ((SUPPORT, NETWORK), (NETWORK,)),
            "ip_address": ((SUPPORT, NETWORK), (NETWORK,)),
            "site_id": ((SUPPORT, NETWORK), (NETWORK,)),
        }

    def _check_scoped_write(self, field_names, running):
        """Raise unless the user's role may set ``field_names`` on services being
        ordered (``running`` False: new ones too) or running (True)."""
        if self.env.su:
            return
        scoped = self._wisp_scoped_write_groups()
        for name in field_names:
            if name in scoped and not has_groups(self.env, scoped[name][running]):
                raise AccessError(
                    self.env._(
                        "Your role may not change %(field)s of this service.",
                        field=self._fields[name].string,
                    )
                )

    # -------------------------------------------------------------------------
    # Create / validation
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "wisp.service"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        for vals in vals_list:
            self._check_scoped_write(vals, running=False)
        # Network staff may set the password; anyone who takes an order gets one
        # generated without being able to read it back.
        may_set_password = has_groups(self.env, (NETWORK,))
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence._next()
            if vals.get("login"):
                vals["login"] = vals["login"].strip().lower()
            elif vals.get("service_type", "internet") == "internet":
                vals["login"] = vals["name"].lower().replace("/", "")
            if may_set_password and vals.get("login"):
                vals["network_secret"] = (
                    vals.pop("network_password", None) or generate_network_password()
                )
        self._check_logins([vals.get("login") for vals in vals_list])
        services = super().create(vals_list)
        if not may_set_password:
            for service in services.sudo().filtered(lambda s: s.login and not s.network_secret):
                service.network_secret = generate_network_password()
        # The code is bookkeeping, not an edit of the contact by whoever sold.
        services.commercial_partner_id.sudo()._assign_subscriber_code()
        return services

    def write(self, vals):
        # The life cycle writes the status as superuser, saying so in its context.
        if "state" in vals and not (self.env.su and self.env.context.get("wisp_transition")):
            raise AccessError(
                self.env._("The status of a service changes only through its life-cycle actions.")
            )
        if not self.env.su and self._wisp_scoped_write_groups().keys() & vals.keys():
            ordered = self.filtered(lambda s: s.state in ORDER_STATES)
            for services, running in ((ordered, False), (self - ordered, True)):
                if services:
                    services._check_scoped_write(vals, running)
        if vals.get("login"):
            vals["login"] = vals["login"].strip().lower()
            self._check_logins([vals["login"]] * len(self))
        return super().write(vals)

    def _check_logins(self, logins):
        """Refuse malformed or taken logins before they reach the database.

        The UNIQUE constraint stays the guarantee under concurrency; this gives
        staff a message that names the service holding the login.
        """
        logins = [login for login in logins if login]
        for login in logins:
            if not LOGIN_RE.match(login):
                raise ValidationError(
                    self.env._(
                        "Login %(login)r is not valid: use 3 to 64 lower-case letters, digits "
                        "and . _ @ -, starting with a letter or digit.",
                        login=login,
                    )
                )
        if len(logins) != len(set(logins)):
            raise ValidationError(self.env._("Two services cannot share a network login."))
        taken = logins and self.sudo().search_read(
            [("login", "in", logins), ("id", "not in", self.ids)], ["login", "name"], limit=1
        )
        if taken:
            raise ValidationError(
                self.env._(
                    "Network login %(login)s is already used by service %(service)s.",
                    login=taken[0]["login"],
                    service=taken[0]["name"],
                )
            )

    @api.constrains("plan_id", "service_type")
    def _check_plan_type(self):
        for service in self.filtered("plan_id"):
            if service.plan_id.service_type != service.service_type:
                raise ValidationError(
                    self.env._(
                        "Plan %(plan)s is for %(plan_type)s, not for this %(type)s service.",
                        plan=service.plan_id.display_name,
                        plan_type=service.plan_id.service_type,
                        type=service.service_type,
                    )
                )

    @api.constrains("ip_address")
    def _check_ip_address(self):
        for service in self.filtered("ip_address"):
            normalize_ip(service.env, service.ip_address)

    # -------------------------------------------------------------------------
    # Life cycle
    # -------------------------------------------------------------------------
    def _check_transition(self, transition):
        """Raise unless the user may move every service in ``self`` through
        ``transition`` (role first, then write access, then the table)."""
        allowed_from = TRANSITIONS[transition][0]
        if not has_groups(self.env, TRANSITION_GROUPS[transition]):
            raise AccessError(
                self.env._(
                    "Your role may not %(action)s a service.",
                    action=transition.replace("_", " "),
                )
            )
        self.check_access("write")
        illegal = self.filtered(lambda s: s.state not in allowed_from)
        if illegal:
            states = dict(SERVICE_STATES)
            raise UserError(
                self.env._(
                    "Cannot %(action)s %(services)s: allowed only from %(allowed)s.",
                    action=transition.replace("_", " "),
                    services=", ".join(f"{s.name} ({states[s.state]})" for s in illegal),
                    allowed=", ".join(states[s] for s in allowed_from),
                )
            )

    def _apply_transition(self, transition, values=None):
        """Move every service in ``self`` through ``transition`` or raise.

        The table in TRANSITIONS is the single source of legal moves; the write
        is tracked in each service's chatter and then announced through
        :meth:`_on_state_change`.
        """
        self._check_transition(transition)
        previous_states = {service.id: service.state for service in self}
        # Checked above: the status is written as superuser, the only writer allowed.
        self.sudo().with_context(wisp_transition=transition).write(
            {"state": TRANSITIONS[transition][1], **(values or {})}
        )
        self._on_state_change(transition, previous_states)
        self._queue_state_messages(transition)
        return True

    def _wisp_importing(self):
        """Whether the migration wizard makes this move (see ``WISP_IMPORT_RUN``)."""
        return self.env.su and self.env.context.get("wisp_import") is WISP_IMPORT_RUN

    def _queue_state_messages(self, transition):
        """Tell each subscriber once that its access was cut off or restored: one
        message per distinct :meth:`_wisp_state_message` of the services moved.
        An import replays moves made in the old system: nobody is told (``wisp_import``,
        honoured for the superuser only)."""
        if transition not in STATE_MESSAGES or self._wisp_importing():
            return
        # one INSERT per event code, not per message: a cron may suspend many at once
        by_code = {}
        for code, document, partner, key in {s._wisp_state_message(transition) for s in self}:
            by_code.setdefault(code, []).append((document, partner, key))
        for code, items in by_code.items():
            self.env["wisp.message"]._queue_batch(code, items)

    def _wisp_state_message(self, transition):
        """What tells this service's subscriber about ``transition``: ``(event code,
        document, recipient, key)``. By default the account hears it once a day
        whatever the number of its services; a prepaid pass that ran out says so.
        Other addons name their own cause (billing: the overdue invoice)."""
        self.ensure_one()
        if (
            transition == "suspend"
            and self.expiry_datetime
            and self.expiry_datetime <= fields.Datetime.now()
        ):
            return ("prepaid_expired", self, self.partner_id, str(self.expiry_datetime))
        account = self.commercial_partner_id
        today = fields.Date.context_today(self).isoformat()
        return (STATE_MESSAGES[transition], account, account, f"{transition}:{today}")

    def _on_state_change(self, transition, previous_states):
        """Extension point: ``self`` has just gone through ``transition``.

        ``previous_states`` maps each service id to its status before. Billing
        starts or stops charging here and the network addon queues a router sync;
        both run inside the same transaction as the status change. Here the
        ``service.state_changed`` webhook is queued (delivered after commit), and a
        termination asks the rented devices back (return pickings).
        """
        if transition == "terminate":
            self.sudo().device_ids._wisp_request_return()
        self.env["wisp.webhook.delivery"]._queue(
            "service.state_changed",
            [
                (service.company_id, service._wisp_webhook_data(transition, previous_states))
                for service in self
            ],
        )

    def _wisp_webhook_data(self, transition, previous_states):
        """What a third party learns of a status change: no address, no credentials."""
        self.ensure_one()
        return {
            "service": self.name,
            "service_type": self.service_type,
            "plan": self.plan_id.display_name or None,
            "subscriber_code": self.commercial_partner_id.subscriber_code or None,
            "transition": transition,
            "previous_state": previous_states.get(self.id),
            "state": self.state,
        }

    def action_confirm(self):
        self._apply_transition("confirm")
        self._create_installation_orders()
        return True

    def _create_installation_orders(self):
        open_states = ("draft", "scheduled")
        to_install = self.filtered(
            lambda s: not s.installation_order_ids.filtered(lambda o: o.state in open_states)
        )
        return self.env["wisp.installation.order"].create(
            [{"service_id": service.id} for service in to_install]
        )

    def action_schedule_installation(self):
        """Called when an installation order gets its installer and date."""
        self._check_transition("schedule_installation")
        unplanned = self.filtered(
            lambda s: (
                not s.installation_order_ids.filtered(
                    lambda o: o.state == "scheduled" and o.installer_id and o.scheduled_date
                )
            )
        )
        if unplanned:
            raise UserError(
                self.env._(
                    "Assign an installer and a date on the installation order of "
                    "%(services)s first.",
                    services=", ".join(unplanned.mapped("name")),
                )
            )
        return self._apply_transition("schedule_installation")

    def action_activate(self):
        self._check_transition("activate")
        missing_plan = self.filtered(lambda s: not s.plan_id)
        if missing_plan:
            raise UserError(
                self.env._(
                    "Service %(services)s cannot be activated without a plan.",
                    services=", ".join(missing_plan.mapped("name")),
                )
            )
        today = fields.Date.context_today(self)
        for service in self.sudo():  # the move is checked: its dates are the life cycle's
            service.write({"activation_date": service.activation_date or today})
            if service.plan_id.is_prepaid:
                service._wisp_add_prepaid_time(
                    service.plan_id.product_tmpl_id._wisp_prepaid_seconds()
                )
        # One transition for the whole batch: one event for billing (one
        # invoice for services activated together) and for the network.
        return self._apply_transition("activate", {"state_reason": False})

    # -------------------------------------------------------------------------
    # Prepaid time
    # -------------------------------------------------------------------------
    def _wisp_add_prepaid_time(self, seconds):
        """Put a pass of ``seconds`` on this prepaid service (activation or a code).

        The router's online-time limit grows by the pass at once. Its validity runs
        from the first login (plan: "at first login"), seen by the router and
        recorded by :meth:`_wisp_start_pass`, or from now ("at activation"); time
        added while a pass runs extends it.
        """
        self.ensure_one()
        if seconds <= 0:
            raise UserError(
                self.env._(
                    "Plan %(plan)s has no prepaid duration: set one above zero.",
                    plan=self.plan_id.display_name,
                )
            )
        now = fields.Datetime.now()
        vals = {"uptime_limit_s": self.uptime_limit_s + seconds}
        running = self.expiry_datetime and self.expiry_datetime > now
        if running:
            vals["expiry_datetime"] = self.expiry_datetime + timedelta(seconds=seconds)
        elif self.plan_id.prepaid_start == "activation":
            vals.update(pass_started=now, expiry_datetime=now + timedelta(seconds=seconds))
        else:
            # ended or never started: a new pass waits for the next first login
            waiting = bool(self.prepaid_pending_s and not self.expiry_datetime)
            vals.update(
                pass_started=False,
                expiry_datetime=False,
                prepaid_pending_s=(self.prepaid_pending_s if waiting else 0) + seconds,
                prepaid_pending_since=self.prepaid_pending_since if waiting else now,
            )
        self.sudo().write(vals)

    def _wisp_start_pass(self, first_login):
        """The router saw the first login of a waiting pass at ``first_login`` (UTC):
        its time runs from then (never from the future, never before activation)."""
        now = fields.Datetime.now()
        for service in self.filtered(lambda s: s.prepaid_pending_s and not s.expiry_datetime):
            start = min(max(first_login, service.prepaid_pending_since or first_login), now)
            service.sudo().write(
                {
                    "pass_started": start,
                    "expiry_datetime": start + timedelta(seconds=service.prepaid_pending_s),
                    "prepaid_pending_s": 0,
                    "prepaid_pending_since": False,
                }
            )
            service.message_post(
                body=self.env._(
                    "First login at %(start)s: prepaid access until %(end)s.",
                    start=fields.Datetime.to_string(start),
                    end=fields.Datetime.to_string(service.expiry_datetime),
                )
            )
        return True

    def action_restrict(self, reason=None):
        return self._apply_transition("restrict", {"state_reason": reason})

    def action_suspend(self, reason=None):
        return self._apply_transition("suspend", {"state_reason": reason})

    def action_reactivate(self):
        return self._apply_transition("reactivate", {"state_reason": False})

    def action_pause(self, until=None, reason=None):
        if until and until <= fields.Date.context_today(self):
            raise UserError(self.env._("A pause must end in the future."))
        return self._apply_transition(
            "pause", {"pause_until": until, "state_reason": reason or self.env._("Vacation")}
        )

    def action_resume(self):
        return self._apply_transition("resume", {"pause_until": False, "state_reason": False})

    def action_terminate(self, reason=None):
        self._apply_transition(
            "terminate",
            {"termination_date": fields.Date.context_today(self), "state_reason": reason},
        )
        # The move is checked; its open orders go with it, whoever terminated.
        self.sudo().installation_order_ids.filtered(
            lambda o: o.state in ("draft", "scheduled")
        ).action_cancel()
        return True

    def action_regenerate_password(self):
        check_groups(self.env, (NETWORK,))
        self.check_access("write")
        for service in self.filtered("login"):
            service.network_password = generate_network_password()
        self.message_post(body=self.env._("A new network password was generated."))
        return True

    # -------------------------------------------------------------------------
    # Scheduled jobs
    # -------------------------------------------------------------------------
    @api.model
    def _cron_expire_and_resume(self):
        """Suspend prepaid services past their expiry and resume ended pauses.

        The router already cut a time pass at its online-time limit; this is the
        backstop that ends the validity (first login + duration) and moves the
        login to the restricted profile.
        """
        today = fields.Date.context_today(self)
        reason = self.env._("Prepaid period expired")
        batch_then_each_alone(
            self.search(
                [("state", "=", "active"), ("expiry_datetime", "<=", fields.Datetime.now())]
            ),
            lambda services: services.action_suspend(reason=reason),
            self.env._("Suspension at prepaid expiry failed"),
        )
        batch_then_each_alone(
            self.search([("state", "=", "paused"), ("pause_until", "<=", today)]),
            lambda services: services.action_resume(),
            self.env._("Resuming after the pause failed"),
        )
        self._queue_prepaid_expiry_notices()

    @api.model
    def _queue_prepaid_expiry_notices(self):
        """Tell each prepaid subscriber its pass ends within the company's notice days,
        once per end: a pass extended meanwhile is told again when its new end nears.
        A pass shorter than the notice (a day pass) is not: its buyer knows."""
        now = fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([("wisp_prepaid_notice_days", ">", 0)])
        items = []
        for company in companies:
            notice = timedelta(days=company.wisp_prepaid_notice_days)
            services = self.sudo().search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                    ("expiry_datetime", ">", now),
                    ("expiry_datetime", "<=", now + notice),
                ]
            )
            items += [
                (service, service.partner_id, str(service.expiry_datetime))
                for service in services
                if (service.pass_started or service.create_date) <= service.expiry_datetime - notice
            ]
        # every 5 minutes: the passes already told are skipped by the outbox's unique key
        self.env["wisp.message"].sudo()._queue_batch("prepaid_expiring", items)

    # -------------------------------------------------------------------------
    # Navigation
    # -------------------------------------------------------------------------
    def action_view_devices(self):
        return related_action(
            self,
            STAFF,
            "wisp_subscriber.wisp_cpe_device_action",
            lambda record: ([("service_id", "=", record.id)], {"default_service_id": record.id}),
        )

    def action_view_installation_orders(self):
        return related_action(
            self,
            STAFF,
            "wisp_subscriber.wisp_installation_order_action",
            lambda record: ([("service_id", "=", record.id)], {"default_service_id": record.id}),
        )
