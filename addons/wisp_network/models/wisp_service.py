import ipaddress
import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.models.wisp_cpe_device import normalize_mac
from odoo.addons.wisp_subscriber.tools.access import (
    BILLING,
    NETWORK,
    SUPPORT,
    check_groups,
    related_action,
)
from odoo.addons.wisp_subscriber.tools.each_alone import batch_then_each_alone, each_alone
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from ..adapters.base import BackendError, ServiceState, SpeedProfile

# Status -> what the router holds. Paused (vacation) is restricted rather than
# removed: the login and its profile stay, the customer lands on the captive
# page that says the service is paused, and resuming is a one-entry change.
RESTRICTED_STATES = ("restricted", "suspended", "paused")
PRESENT_STATES = ("active", *RESTRICTED_STATES)
# Fields whose change alters the desired router state; the first set also
# changes the speed, so the running session is kicked for it to apply.
SPEED_FIELDS = {"plan_id", "cap_exceeded"}
# share of the data cap at which the subscriber is warned
CAP_WARNING = 0.8
# site_id: its compute moves router_id without a write() of it; addon_ids: a speed
# add-on (a boost) changes the profile, and the router kicks the session when it did
NETWORK_FIELDS = SPEED_FIELDS | {
    "addon_ids",
    "uptime_limit_s",
    "login",
    "network_password",
    "ip_address",
    "ipv6_prefix",
    "router_id",
    "site_id",
    "access_method",
    "mac_address",
}
# The only value of ``wisp_network_no_sync`` that skips the sync: no RPC context can
# carry this object, and a method raising rights with the caller's context keeps it out.
NO_SYNC = object()
# How the NAS knows a service: by a login (PPPoE, or hotspot for prepaid plans)
# or, for DHCP/IPoE, by its CPE's MAC (a static lease, RADIUS MAC authentication).
ACCESS_METHODS = [
    ("login", "PPPoE / Hotspot Login"),
    ("dhcp", "DHCP / IPoE (CPE MAC)"),
]
# Measured by the suite (usage cron, data caps): nobody writes them by hand,
# lifting a fair-use cap included.
MEASURED_FIELDS = (
    "cap_exceeded",
    "cap_exceeded_date",
    "usage_counter_download",
    "usage_counter_upload",
    "last_traffic_date",
    # handed out by the IP pools only
    "ipv6_prefix",
)
MB = 10**6
LIVE_FIELDS = [
    "live_state",
    "live_since",
    "live_address",
    "live_download_mb",
    "live_upload_mb",
    "live_message",
]
LIVE_STATES = [
    ("online", "Online"),
    ("offline", "Offline"),
    ("no_answer", "Router Not Answering"),
    ("unmonitored", "Not Monitored"),
]


def profile_slug(plan):
    """A router-safe profile name per plan, unique by the plan's id."""
    slug = re.sub(r"[^a-z0-9]+", "-", (plan.name or "").lower()).strip("-")
    return f"{slug or 'plan'}-{plan.id}"


def plan_speed_profiles(plan):
    """``(normal, fair use)`` speed profiles of ``plan``; fair use is None without a cap."""
    normal = SpeedProfile(
        name=profile_slug(plan),
        download_kbps=plan.download_kbps,
        upload_kbps=plan.upload_kbps,
        burst_download_kbps=plan.burst_download_kbps,
        burst_upload_kbps=plan.burst_upload_kbps,
        burst_threshold_pct=plan.burst_threshold_pct or 75,
        burst_time_s=plan.burst_time_s,
    )
    fup = None
    if plan.data_cap_gb:
        fup = SpeedProfile(
            name=f"{profile_slug(plan)}-fup",
            download_kbps=plan.fup_download_kbps,
            upload_kbps=plan.fup_upload_kbps,
        )
    return normal, fup


def boosted_speed_profile(plan, addon):
    """The profile of ``plan`` raised to speed add-on ``addon`` (a boost): its own
    name per plan and add-on, the faster of the two speeds each way, no burst."""
    return SpeedProfile(
        name=f"{profile_slug(plan)}-{profile_slug(addon)}",
        download_kbps=max(plan.download_kbps, addon.download_kbps),
        upload_kbps=max(plan.upload_kbps, addon.upload_kbps),
        burst_download_kbps=0,
        burst_upload_kbps=0,
        burst_threshold_pct=75,
        burst_time_s=0,
    )


class WispService(models.Model):
    _inherit = "wisp.service"

    router_id = fields.Many2one(
        "wisp.router",
        index=True,
        groups="base.group_user",
        tracking=True,
        compute="_compute_router_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('site_id', '=?', site_id)]",
        help="The NAS that authenticates this service; by default its site's first router.",
    )
    # Back-office only: the portal (subscribers) has no access to these models.
    network_job_ids = fields.One2many(
        "wisp.network.job", "service_id", string="Network Jobs", groups="base.group_user"
    )
    circuit_test_ids = fields.One2many(
        "wisp.circuit.test", "service_id", string="Circuit Tests", groups="base.group_user"
    )
    access_method = fields.Selection(
        ACCESS_METHODS,
        required=True,
        default="login",
        tracking=True,
        help="How the router authenticates the subscriber: a PPPoE login (hotspot for "
        "prepaid plans), or DHCP/IPoE, where the CPE's MAC gets a static lease with the "
        "plan's speed and the service's address.",
    )
    mac_address = fields.Char(
        string="CPE MAC",
        copy=False,
        tracking=True,
        help="The MAC the DHCP server sees for a DHCP/IPoE service. Taken from the "
        "service's device when empty; follows the device when its MAC is changed.",
    )
    network_login = fields.Char(
        compute="_compute_network_login",
        store=True,
        index=True,
        help="The name the router knows this service by: its login, or its CPE MAC for DHCP/IPoE.",
    )
    usage_ids = fields.One2many("wisp.service.usage", "service_id")
    # An address belongs to one service: a copy gets its own from the pools.
    ip_address = fields.Char(copy=False)
    ipv6_prefix = fields.Char(
        string="IPv6 Prefix",
        readonly=True,
        copy=False,
        tracking=True,
        help="The IPv6 prefix delegated to the subscriber's router, from an IPv6 pool of "
        "its router or site.",
    )
    data_cap_gb = fields.Integer(related="plan_id.data_cap_gb")
    cap_exceeded = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The data cap of the current cycle is crossed: the fair-use speed applies "
        "until the next cycle starts.",
    )
    cap_exceeded_date = fields.Date(readonly=True, copy=False, groups="base.group_user")
    usage_counter_download = fields.Float(
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Last cumulative byte counter read from the router.",
    )
    usage_counter_upload = fields.Float(readonly=True, copy=False, groups="base.group_user")
    last_traffic_date = fields.Datetime(
        string="Last Traffic",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When a usage reading last found the counters moved: the subscriber was online.",
    )
    cycle_start_date = fields.Date(compute="_compute_cycle_usage", string="Cycle Start")
    cycle_usage_gb = fields.Float(
        compute="_compute_cycle_usage", string="Cycle Usage (GB)", digits=(16, 2)
    )
    network_job_failed = fields.Boolean(
        compute="_compute_network_job_failed", groups="base.group_user"
    )
    circuit_test_available = fields.Boolean(
        compute="_compute_circuit_test_available", groups="base.group_user"
    )
    session_ids = fields.One2many(
        "wisp.service.session", "service_id", string="Sessions", groups="base.group_user"
    )
    # Read from the router when shown (short timeout), never stored.
    live_state = fields.Selection(
        LIVE_STATES,
        string="Online Now",
        compute="_compute_live_session",
        groups="base.group_user",
        help="Read from the router when the form opens: online or offline, or why it "
        "cannot be said (router not answering, not monitored).",
    )
    live_since = fields.Datetime(
        string="Online Since", compute="_compute_live_session", groups="base.group_user"
    )
    live_address = fields.Char(
        string="Session IP", compute="_compute_live_session", groups="base.group_user"
    )
    live_download_mb = fields.Float(
        string="Downloaded This Session (MB)",
        compute="_compute_live_session",
        digits=(16, 1),
        groups="base.group_user",
    )
    live_upload_mb = fields.Float(
        string="Uploaded This Session (MB)",
        compute="_compute_live_session",
        digits=(16, 1),
        groups="base.group_user",
    )
    live_message = fields.Char(compute="_compute_live_session", groups="base.group_user")

    _mac_address_uniq = models.Constraint(
        "UNIQUE(mac_address)", "This CPE MAC is already used by another service."
    )

    @api.depends("access_method", "login", "mac_address")
    def _compute_network_login(self):
        for service in self:
            service.network_login = (
                service.mac_address if service.access_method == "dhcp" else service.login
            )

    @api.depends("site_id")
    def _compute_router_id(self):
        for service in self:
            routers = service.site_id.router_ids
            if not service.router_id or service.router_id not in routers:
                service.router_id = routers[:1]

    @api.depends("usage_ids.total_mb", "activation_date")
    def _compute_cycle_usage(self):
        today = fields.Date.context_today(self)
        totals = self.filtered("id")._cycle_usage_mb(today)  # new records: none yet
        for service in self:
            service.cycle_start_date = service._cycle_start(today)
            service.cycle_usage_gb = totals.get(service.id, 0.0) / 1000

    @api.depends("service_type", "state", "router_id.can_ping")
    def _compute_circuit_test_available(self):
        for service in self:
            service.circuit_test_available = (
                service.service_type == "internet"
                and service.state != "terminated"
                and service.router_id.can_ping
            )

    def _compute_live_session(self):
        status = self._live_status()
        for service in self:
            live = status[service.id]
            service.live_state = live["state"]
            service.live_since = live["since"]
            service.live_address = live["address"]
            service.live_download_mb = live["download_bytes"] / MB
            service.live_upload_mb = live["upload_bytes"] / MB
            service.live_message = live["message"]

    def _live_status(self):
        """``{service id: status}`` read from the routers now: one short read per
        router, whatever the number of services. A status is a dict with ``state``
        (:data:`LIVE_STATES`), ``since``, ``address``, ``nas`` (the router's name),
        ``download_bytes``, ``upload_bytes`` and ``message``; it holds nothing of
        the router's access, so the portal may show it."""
        result = {}
        watched = self.sudo().filtered(
            lambda s: (
                s.id
                and s.service_type == "internet"
                and s.network_login
                and s.router_id.provisioning_enabled
                and s.state != "terminated"
            )
        )
        for service in self - watched:
            result[service.id] = _live(
                "unmonitored", message=self.env._("Not monitored on a router.")
            )
        for router, services in watched.grouped("router_id").items():
            try:
                sessions = router._read_live_sessions(services.mapped("network_login"))
            except BackendError:
                message = self.env._("Router %s is not answering.", router.name)
                result.update((s.id, _live("no_answer", message=message)) for s in services)
                continue
            for service in services:
                mine = sessions.get(service.network_login, [])
                if not mine:
                    result[service.id] = _live("offline", nas=router.name)
                    continue
                first = min(mine, key=lambda s: s.started or fields.Datetime.now())
                # a bound DHCP lease does not say since when: the poll that found it does
                seen = service.session_ids.filtered(lambda row: row.state == "open")
                result[service.id] = _live(
                    "online",
                    since=first.started or min(seen.mapped("start_date"), default=False),
                    address=first.address,
                    nas=router.name,
                    download_bytes=sum(s.download_bytes for s in mine),
                    upload_bytes=sum(s.upload_bytes for s in mine),
                )
        return result

    def _compute_network_job_failed(self):
        failed = (
            self.env["wisp.network.job"]
            .sudo()
            .search([("service_id", "in", self.ids), ("state", "=", "failed")])
        )
        for service in self:
            service.network_job_failed = service in failed.service_id

    # -------------------------------------------------------------------------
    # Access
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_field_write_groups(self):
        return {**super()._wisp_field_write_groups(), **dict.fromkeys(MEASURED_FIELDS, ())}

    def _wisp_scoped_write_groups(self):
        # Which NAS serves a service is the network engineers' choice, ordered or not;
        # how it authenticates is set up like its login.
        return {
            **super()._wisp_scoped_write_groups(),
            "router_id": ((NETWORK,), (NETWORK,)),
            "access_method": ((SUPPORT, NETWORK), (NETWORK,)),
            "mac_address": ((SUPPORT, NETWORK), (NETWORK,)),
        }

    # -------------------------------------------------------------------------
    # DHCP / IPoE identity
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("mac_address"):
                vals["mac_address"] = normalize_mac(self.env, vals["mac_address"])
        self._check_macs([vals.get("mac_address") for vals in vals_list])
        services = super().create(vals_list)
        services._fill_mac_from_devices()
        services.filtered("ip_address")._ipam_claim()
        return services

    def _check_macs(self, macs):
        """Refuse a CPE MAC another service holds, naming that service (the UNIQUE
        constraint stays the guarantee under concurrency)."""
        macs = [mac for mac in macs if mac]
        if len(macs) != len(set(macs)):
            raise ValidationError(self.env._("Two services cannot share a CPE MAC."))
        taken = macs and self.sudo().search_read(
            [("mac_address", "in", macs), ("id", "not in", self.ids)],
            ["mac_address", "name"],
            limit=1,
        )
        if taken:
            raise ValidationError(
                self.env._(
                    "CPE MAC %(mac)s is already used by service %(service)s.",
                    mac=taken[0]["mac_address"],
                    service=taken[0]["name"],
                )
            )

    def _fill_mac_from_devices(self):
        """DHCP services without a MAC take their first device's (as superuser: the
        MAC is the device's, already recorded; the write queues the router sync)."""
        for service in self.filtered(lambda s: s.access_method == "dhcp" and not s.mac_address):
            device = service.device_ids.filtered("mac_address")[:1]
            if device:
                service.sudo().mac_address = device.mac_address

    def _check_dhcp_ready(self):
        """A running DHCP service needs its CPE MAC and the address its lease hands out."""
        for service in self.filtered(
            lambda s: (
                s.access_method == "dhcp"
                and s.service_type == "internet"
                and s.state in PRESENT_STATES
            )
        ):
            missing = []
            if not service.mac_address:
                missing.append(self.env._("a CPE MAC (on the service or one of its devices)"))
            if not _ipv4(service.ip_address):
                missing.append(self.env._("an IPv4 address for its DHCP lease"))
            if missing:
                raise UserError(
                    self.env._(
                        "DHCP/IPoE service %(service)s needs %(missing)s.",
                        service=service.name,
                        missing=self.env._(" and ").join(missing),
                    )
                )

    # -------------------------------------------------------------------------
    # Desired router state
    # -------------------------------------------------------------------------
    @api.model
    def _network_present_states(self):
        return PRESENT_STATES

    def _network_states(self):
        """``{service: ServiceState or None}``: what each service's router must hold.

        None means nothing (not internet, not yet active, terminated, no plan
        or login). Reads in bulk through the prefetch, never a query per
        service; callers use ``sudo()`` because the password is protected.
        """
        states = {}
        for service in self:
            kind = service._network_kind()
            present = (
                service.service_type == "internet"
                and service.state in PRESENT_STATES
                and service.plan_id
                and service.network_login
                and (kind == "dhcp" or service.network_password)
            )
            states[service] = (
                ServiceState(
                    login=service.network_login,
                    password="" if kind == "dhcp" else service.network_password,
                    kind=kind,
                    profile=service._speed_profile(),
                    restricted=service.state in RESTRICTED_STATES,
                    remote_address=_ipv4(service.ip_address),
                    comment=f"{service.name} {service.partner_id.name or ''}".strip(),
                    ipv6_prefix=service.ipv6_prefix or "",
                    mac=(service.mac_address or "") if kind == "dhcp" else "",
                    # restricted: the walled garden, not the clock, holds the login
                    uptime_limit_s=(
                        0 if service.state in RESTRICTED_STATES else service.uptime_limit_s
                    ),
                )
                if present
                else None
            )
        return states

    def _network_kind(self):
        """``pppoe``, ``hotspot`` (prepaid plans: vouchers log in on the hotspot) or ``dhcp``."""
        self.ensure_one()
        if self.access_method == "dhcp":
            return "dhcp"
        return "hotspot" if self.plan_id.is_prepaid else "pppoe"

    def _speed_profile(self):
        """The plan's profile; its fair-use one past the cap (a boost does not lift
        it); else raised by the fastest speed add-on on the service, if faster."""
        normal, fup = plan_speed_profiles(self.plan_id)
        if fup and self.cap_exceeded:
            return fup
        boosts = self.addon_ids.filtered(
            lambda a: (
                a.download_kbps > self.plan_id.download_kbps
                or a.upload_kbps > self.plan_id.upload_kbps
            )
        )
        if not boosts:
            return normal
        fastest = max(boosts, key=lambda a: (a.download_kbps, a.upload_kbps, -a.id))
        return boosted_speed_profile(self.plan_id, fastest)

    # -------------------------------------------------------------------------
    # Sync jobs (outbox: written in the same transaction as the change)
    # -------------------------------------------------------------------------
    def _on_state_change(self, transition, previous_states):
        # Addresses first: an activation without one fails before anything is billed.
        if transition == "activate":
            self._ipam_assign()
        elif transition == "terminate":
            self._ipam_release(previous_states)
        result = super()._on_state_change(transition, previous_states)
        # Checked when a service comes onto the network: cutting a running one off
        # (dunning, a pause) must never fail for want of its address.
        self.filtered(lambda s: previous_states.get(s.id) not in PRESENT_STATES)._check_dhcp_ready()
        # A migration (wisp.import, superuser only) queues no job per service: it
        # reconciles each router of the imported services once when it is done.
        if self._wisp_importing():
            return result
        touched = self.filtered(
            lambda s: s.state in PRESENT_STATES or previous_states.get(s.id) in PRESENT_STATES
        )
        touched._enqueue_network_sync(kick=True)
        return result

    def _wisp_network_no_sync(self):
        """Whether our own code writes these services without a sync job (it reconciles
        their routers itself): only as superuser, with :data:`NO_SYNC`."""
        return self.env.su and self.env.context.get("wisp_network_no_sync") is NO_SYNC

    def write(self, vals):
        if vals.get("mac_address"):
            vals["mac_address"] = normalize_mac(self.env, vals["mac_address"])
            self._check_macs([vals["mac_address"]] * len(self))
        watched = NETWORK_FIELDS & vals.keys()
        if not watched or self._wisp_network_no_sync():
            result = super().write(vals)
            self._ipam_claim_written(vals)
            return result
        before = {s.id: (s.router_id, s.network_login) for s in self.sudo()}
        result = super().write(vals)
        self._ipam_claim_written(vals)
        if {"access_method", "mac_address", "ip_address"} & vals.keys():
            self._fill_mac_from_devices()
            self._check_dhcp_ready()
        provisioned = self.filtered(lambda s: s.state in PRESENT_STATES)
        provisioned._enqueue_network_sync(kick=bool(SPEED_FIELDS & watched), before=before)
        return result

    def _enqueue_network_sync(self, kick=False, before=None):
        """Queue a sync job per service (and per router it left) after a change."""
        vals_list = []
        for service in self.sudo().filtered(lambda s: s.service_type == "internet"):
            old_router, old_login = (before or {}).get(service.id, (service.router_id, None))
            stale = old_login if old_login and old_login != service.network_login else False
            if old_router and old_router != service.router_id:
                vals_list.append(
                    {
                        "service_id": service.id,
                        "router_id": old_router.id,
                        "stale_login": old_login or False,
                        "kick_session": True,
                    }
                )
                stale = False
            if service.router_id:
                vals_list.append(
                    {
                        "service_id": service.id,
                        "router_id": service.router_id.id,
                        "stale_login": stale,
                        "kick_session": kick or bool(stale),
                    }
                )
        return self.env["wisp.network.job"]._enqueue(vals_list)

    # -------------------------------------------------------------------------
    # IP address management (pools: wisp.ip.pool)
    # -------------------------------------------------------------------------
    def _ip_pool_purpose(self):
        """The purpose of the pools this service takes its address from, or False.

        PPPoE services take theirs from the PPPoE pools, DHCP/IPoE services (their
        static lease) from the DHCP pools; hotspot (prepaid) users get one from the
        hotspot's own DHCP.
        """
        self.ensure_one()
        if self.service_type != "internet" or not self.plan_id:
            return False
        return {"pppoe": "pppoe", "dhcp": "dhcp"}.get(self._network_kind(), False)

    def _ipam_assign(self):
        """Give each service that has none an address and an IPv6 prefix from the
        pools of its router or site (none when its site has no pool of its purpose).

        A pool without a free entry raises: the activation fails visibly rather
        than putting a service on the network without its address.
        """
        Pool = self.env["wisp.ip.pool"]
        pools_of = {}  # one search per site, router and purpose of the batch
        for service in self.sudo():
            purpose = service._ip_pool_purpose()
            if not purpose:
                continue
            key = (service.site_id, service.router_id, purpose)
            if key not in pools_of:
                pools_of[key] = Pool._for_service(service, purpose)
            values = {}
            for field, version in (("ip_address", "4"), ("ipv6_prefix", "6")):
                pools = pools_of[key].filtered(lambda p, version=version: p.ip_version == version)
                if pools and not service[field]:
                    values[field] = pools._allocate(service).address
            if values:
                service.with_context(wisp_ipam=True).write(values)

    def _ipam_release(self, previous_states):
        """Terminated: the service's addresses go into quarantine (free at once for a
        service that never ran) and leave the service."""
        entries = (
            self.env["wisp.ip.address"]
            .sudo()
            .search([("service_id", "in", self.ids), ("state", "=", "used")])
        )
        for service, held in entries.grouped("service_id").items():
            held._release(quarantine=previous_states.get(service.id) in PRESENT_STATES)
            values = {}
            for entry in held:
                values["ip_address" if entry.pool_id.ip_version == "4" else "ipv6_prefix"] = False
            service.with_context(wisp_ipam=True).write(values)

    def _ipam_claim_written(self, vals):
        if "ip_address" in vals and not self.env.context.get("wisp_ipam"):
            self._ipam_claim()

    def _ipam_claim(self):
        """Take the address staff typed, when the service's router or site has IPv4
        pools: it must be inside one of them and neither reserved nor another
        service's; the address it replaces is released. Sites without pools keep
        addresses typed by hand."""
        Pool = self.env["wisp.ip.pool"]
        Address = self.env["wisp.ip.address"].sudo()
        for service in self.sudo().filtered(lambda s: s.state != "terminated"):
            held = Address.search(
                [
                    ("service_id", "=", service.id),
                    ("state", "=", "used"),
                    ("pool_id.ip_version", "=", "4"),
                ]
            )
            wanted = service.ip_address and str(ipaddress.ip_address(service.ip_address.strip()))
            if wanted and wanted in held.mapped("address"):
                continue
            entry = Address
            pools = Pool._for_service(service).filtered(lambda p: p.ip_version == "4")
            if wanted and pools:
                entry = service._ipam_free_entry(pools, wanted)
            held._release(quarantine=service.state in PRESENT_STATES)
            if entry:
                entry.write({"state": "used", "service_id": service.id, "quarantine_until": False})

    def _ipam_free_entry(self, pools, wanted):
        """The locked entry of ``wanted`` in ``pools``, or a clear error why not."""
        self.ensure_one()
        address = ipaddress.ip_address(wanted)
        pool = pools.filtered(lambda p: address in p._network())[:1]
        if not pool:
            raise ValidationError(
                self.env._(
                    "%(address)s is outside the IP pools of service %(service)s (%(pools)s): "
                    "choose an address of one of them.",
                    address=wanted,
                    service=self.name,
                    pools=", ".join(f"{p.name} {p.cidr}" for p in pools),
                )
            )
        self.env["wisp.ip.address"].flush_model()
        self.env.cr.execute(
            "SELECT id FROM wisp_ip_address WHERE pool_id = %s AND address = %s FOR UPDATE",
            [pool.id, wanted],
        )
        row = self.env.cr.fetchone()
        entry = self.env["wisp.ip.address"].sudo().browse(row and row[0])
        other = entry.service_id and entry.service_id != self
        if not entry or entry.state == "reserved":
            reason = self.env._("is reserved in pool %s (network, gateway or excluded)", pool.name)
        elif entry.state == "used" and other:
            reason = self.env._("is used by service %s", entry.service_id.name)
        elif entry.state == "quarantined" and other:
            reason = self.env._(
                "is in quarantine until %s (released by a terminated service)",
                entry.quarantine_until,
            )
        else:
            return entry
        raise ValidationError(
            self.env._(
                "Address %(address)s %(reason)s: choose another one for service %(service)s.",
                address=wanted,
                reason=reason,
                service=self.name,
            )
        )

    def action_assign_ip(self):
        """Hand an address (and IPv6 prefix) from its pools to a running service that
        has none, e.g. one activated before its site had pools."""
        check_groups(self.env, (NETWORK,))
        self.check_access("write")
        running = self.filtered(lambda s: s.state in PRESENT_STATES)
        running._ipam_assign()
        return True

    # -------------------------------------------------------------------------
    # Usage and data caps
    # -------------------------------------------------------------------------
    def _cycle_start(self, today):
        """First day of the current usage cycle: monthly, on the activation day."""
        anchor = (self.activation_date or today.replace(day=1)).day
        start = today + relativedelta(day=anchor)
        if start > today:
            start = today - relativedelta(months=1) + relativedelta(day=anchor)
        return start

    def _cycle_usage_mb(self, today):
        """``{service id: MB used in its current cycle}``.

        One grouped query per distinct cycle start (at most 31), not per service.
        """
        totals = {}
        Usage = self.env["wisp.service.usage"].sudo()
        for start, services in self.grouped(lambda s: s._cycle_start(today)).items():
            rows = Usage._read_group(
                [("service_id", "in", services.ids), ("date", ">=", start)],
                ["service_id"],
                ["total_mb:sum"],
            )
            totals.update((service.id, total) for service, total in rows)
        return totals

    def _cycle_end(self, today):
        """Last day of the current usage cycle (the day before the next one starts)."""
        anchor = (self.activation_date or today.replace(day=1)).day
        start = self._cycle_start(today)
        return start + relativedelta(months=1, day=anchor) - relativedelta(days=1)

    def _check_data_caps(self, today):
        """Apply each plan's rule at its data cap, once the readings of ``today`` are in.

        Plans that charge usage past the cap get their cycle's usage period (the
        ledger billing charges from) brought up to date. The fair-use speed applies
        from the usage the plan's policy says (the cap; the cap plus the GB charged
        at most; the next tier's cap; never for a plain per-GB charge). Subscribers
        are told at 80% of the cap, when the charges start and when the speed drops,
        once per cycle each (the outbox's unique key: the cycle start; the readings
        repeat every few minutes)."""
        capped = self.filtered(lambda s: s.plan_id.data_cap_gb)
        charging = capped.filtered(lambda s: s.plan_id.product_tmpl_id._wisp_charges_overage())
        watched = capped.filtered(lambda s: not s.cap_exceeded)
        totals = (watched | charging)._cycle_usage_mb(today)
        charging._wisp_record_usage_periods(today, totals)

        def used(service):
            return totals.get(service.id, 0.0) / (service.plan_id.data_cap_gb * 1000)

        def throttled(service):
            limit = service.plan_id.product_tmpl_id._wisp_throttle_mb()
            return limit is not None and totals.get(service.id, 0.0) >= limit

        crossed = watched.filtered(throttled)
        if crossed:
            crossed.sudo().write({"cap_exceeded": True, "cap_exceeded_date": today})
        Message = self.env["wisp.message"].sudo()
        for code, services in (
            ("data_cap_80", watched.filtered(lambda s: CAP_WARNING <= used(s) < 1)),
            ("data_cap_overage", (watched & charging).filtered(lambda s: used(s) >= 1)),
            ("data_cap_100", crossed),
        ):
            if services:
                Message._queue_batch(
                    code, [(s, s.partner_id, str(s._cycle_start(today))) for s in services]
                )
        return crossed

    def _wisp_record_usage_periods(self, today, totals):
        """Bring the current cycle's usage period of these services (plans that charge
        usage past the cap) to ``totals`` (``{service id: MB}``): one search for all,
        a write only where a figure moved."""
        if not self:
            return
        Period = self.env["wisp.service.usage.period"].sudo()
        starts = {service: service._cycle_start(today) for service in self}
        existing = {
            (period.service_id, period.date_start): period
            for period in Period.search(
                [("service_id", "in", self.ids), ("date_start", "in", list(set(starts.values())))]
            )
        }
        to_create = []
        for service, start in starts.items():
            vals = {
                "plan_id": service.plan_id.id,
                "used_mb": float_round(totals.get(service.id, 0.0), 1),
                "allowance_mb": service.plan_id.data_cap_gb * 1000.0,
            }
            period = existing.get((service, start))
            if not period:
                to_create.append(
                    {
                        **vals,
                        "service_id": service.id,
                        "date_start": start,
                        "date_end": service._cycle_end(today),
                    }
                )
            elif not period.is_closed and (
                period.plan_id.id,
                period.used_mb,
                period.allowance_mb,
            ) != tuple(vals.values()):
                period.write(vals)
        Period.create(to_create)

    @api.model
    def _wisp_close_usage_periods(self, today):
        """Close the usage periods whose cycle ended before ``today``, with their
        final usage (every reading of the cycle's days): billing may charge them.
        All in one go; should that fail, service by service, so that one bad period
        waits alone (a warning on its service) and is closed on the next run."""
        ended = (
            self.env["wisp.service.usage.period"]
            .sudo()
            .search([("is_closed", "=", False), ("date_end", "<", today)])
        )
        by_service = ended.grouped("service_id")
        batch_then_each_alone(
            ended.service_id,
            lambda services: ended.browse(
                period.id for service in services for period in by_service[service]
            )._wisp_close(),
            self.env._("Closing the usage period failed"),
        )
        return ended.filtered("is_closed")

    @api.model
    def _cron_reset_usage_cycles(self, today=None):
        """Close the usage periods of ended cycles; back to the plan's speed for
        services whose new cycle has started."""
        today = today or fields.Date.context_today(self)
        self._wisp_close_usage_periods(today)
        capped = self.sudo().search([("cap_exceeded", "=", True)])
        renewed = capped.filtered(lambda s: s.cap_exceeded_date < s._cycle_start(today))
        if renewed:
            renewed.write({"cap_exceeded": False, "cap_exceeded_date": False})
        return renewed

    # -------------------------------------------------------------------------
    # Prepaid passes: their time starts at the first login the router saw
    # -------------------------------------------------------------------------
    @api.model
    def _cron_start_prepaid_passes(self, commit=True):
        """Start the passes waiting for their first login, from the routers' sessions.

        One read per router for all its waiting logins; a router that cannot be
        read (or cannot tell) is recorded on it and tried again next run, the
        others go on. Router I/O happens between commits (``commit=False`` in tests).
        """
        waiting = self.sudo().search(
            [
                ("state", "=", "active"),
                ("prepaid_pending_s", ">", 0),
                ("expiry_datetime", "=", False),
                ("router_id.provisioning_enabled", "=", True),
                ("login", "!=", False),
            ]
        )
        for router, services in waiting.grouped("router_id").items():
            since = {s.login: s.prepaid_pending_since or s.write_date for s in services}
            starts = router._read_backend(lambda b, s=since: b.first_logins(s), "sessions")
            if starts is None:
                continue
            each_alone(
                services.filtered(lambda s, st=starts: s.login in st),
                lambda s, st=starts: s._wisp_start_pass(st[s.login]),
                self.env._("Starting the prepaid pass failed"),
            )
            if commit:
                self.env["ir.cron"]._commit_progress(len(services))

    def _place_on_hotspot_router(self, site_code=None):
        """Give a service created by an access code its router, when it has none: the
        router of the site the hotspot named (its ``site`` parameter), else the first
        provisioned router of the service's company. The hotspot page calls it, as the
        superuser, for the service a code just created."""
        for service in self.filtered(lambda s: not s.router_id):
            company = service.company_id
            site = (
                self.env["wisp.site"].search(
                    [
                        ("code", "=", site_code),
                        ("company_id", "in", (False, company.id)),
                        ("router_ids", "!=", False),
                    ],
                    limit=1,
                )
                if site_code
                else None
            )
            router = (
                site.router_ids[:1]
                if site
                else self.env["wisp.router"].search(
                    [("company_id", "=", company.id), ("provisioning_enabled", "=", True)],
                    limit=1,
                )
            )
            if router:
                service.write({"site_id": router.site_id.id, "router_id": router.id})

    # -------------------------------------------------------------------------
    # Circuit test
    # -------------------------------------------------------------------------
    def _circuit_test_address(self):
        self.ensure_one()
        device = self.device_ids.filtered("ip_address")[:1]
        return device.ip_address or self.ip_address

    def action_circuit_test(self):
        """Ping the CPE from the service's router and keep the result on the service."""
        check_groups(self.env, (SUPPORT, NETWORK))
        self.check_access("read")
        self.ensure_one()
        if not self.router_id:
            raise UserError(self.env._("Service %s has no router to test from.", self.name))
        if not self.router_id.can_ping:
            raise UserError(
                self.env._(
                    "Router %s cannot run a circuit test: pings go through the RouterOS API, "
                    "and this RADIUS router has no API user.",
                    self.router_id.name,
                )
            )
        address = self._circuit_test_address()
        if not address:
            raise UserError(
                self.env._(
                    "Service %s has no address to ping: give a device a management IP "
                    "or the service a static IP.",
                    self.name,
                )
            )
        # Test results are facts recorded by the suite: nobody creates or edits them.
        test = (
            self.env["wisp.circuit.test"]
            .sudo()
            .create({"service_id": self.id, "router_id": self.router_id.id, "address": address})
        )
        test._run()
        self.message_post(body=test._summary())
        return True

    # -------------------------------------------------------------------------
    # Navigation
    # -------------------------------------------------------------------------
    def action_view_usage(self):
        return related_action(
            self,
            (SUPPORT, BILLING, NETWORK),
            "wisp_network.wisp_service_usage_action",
            lambda record: ([("service_id", "=", record.id)], {"default_service_id": record.id}),
        )

    def action_disconnect_session(self):
        """Drop the subscriber's session on its router now (it reconnects at once:
        to apply a change, or to clear a stuck session). Network and support only."""
        check_groups(self.env, (SUPPORT, NETWORK))
        self.check_access("read")
        self.ensure_one()
        service = self.sudo()
        router = service.router_id
        if not (service.network_login and router and router.provisioning_enabled):
            raise UserError(
                self.env._("Service %s has no session on a monitored router.", self.name)
            )
        backend = router._get_backend(timeout=router._live_timeout())
        try:
            dropped = backend.disconnect(service.network_login)
        except BackendError as exc:
            router._record_contact(exc)
            return _notification(
                self.env._("Router %s is not answering: nothing was disconnected.", router.name),
                "warning",
            )
        finally:
            backend.close()
        router._record_contact()
        if not dropped:
            if service.access_method == "dhcp":
                # the static lease is the service's configuration: never removed to kick
                message = self.env._(
                    "%s is a DHCP/IPoE service: there is no session to drop on the router; "
                    "its lease is kept.",
                    self.name,
                )
                return _notification(message, "info")
            return _notification(self.env._("%s has no session to drop.", self.name), "info")
        cause = self.env._("Disconnected by %s", self.env.user.name)
        open_rows = service.session_ids.filtered(lambda row: row.state == "open")
        open_rows._close(fields.Datetime.now(), cause)
        # what the form showed is over: the next read asks the router again
        self.invalidate_recordset(LIVE_FIELDS)
        service.message_post(body=self.env._("Session dropped on %s.", router.name))
        return _notification(
            self.env._("%s was disconnected; it reconnects by itself.", self.name), "success"
        )

    def action_sync_network(self):
        """Queue a sync now (e.g. after fixing a router)."""
        check_groups(self.env, (NETWORK,))
        self.check_access("write")
        self._enqueue_network_sync(kick=False)
        return True


def _live(state, **values):
    return {
        "state": state,
        "since": False,
        "address": "",
        "nas": "",
        "download_bytes": 0,
        "upload_bytes": 0,
        "message": "",
        **values,
    }


def _notification(message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "message": message,
            "type": kind,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }


def _ipv4(value):
    """The static address as the NAS takes it (IPv4 only), or empty."""
    try:
        return str(ipaddress.IPv4Address((value or "").strip()))
    except ValueError:
        return ""
