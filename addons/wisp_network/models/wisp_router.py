import ipaddress
import logging
import re
from urllib.parse import urlsplit

import psycopg2.extensions

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import (
    BILLING,
    NETWORK,
    SUPPORT,
    check_groups,
    related_action,
)
from odoo.addons.wisp_subscriber.tools.each_alone import close_failures, each_alone
from odoo.exceptions import UserError, ValidationError

from ..adapters.base import BackendError, BackendUnsupported
from ..adapters.radius import RadiusNas
from ..adapters.routeros import RouterOSBackend, parse_ms
from ..tools import routeros_setup
from .wisp_service import NO_SYNC, plan_speed_profiles

# What an error text may still hold of a router's access once the router's own
# values are cut: libpq key=value pairs, quoted names (hosts, users, databases,
# sockets in libpq's messages), ports; IP addresses are matched separately.
SCRUB_PATTERNS = [
    (re.compile(r"\b(\w+)=('[^']*'|\S+)"), r"\1=***"),
    (re.compile(r'"[^"]*"'), '"***"'),
    (re.compile(r"(?i)\bport\s+\d+"), "port ***"),
]
ADDRESS_RE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*")
PORT_RE = re.compile(r"(\*\*\*|\])(:\d+)\b")
# What a router's entry in its RADIUS server's nas table is made of.
RADIUS_CLIENT_FIELDS = {
    "radius_server_id",
    "nas_address",
    "host",
    "coa_secret",
    "nas_vendor",
    "name",
    "backend",
    "active",
    "site_id",
}
DSN_ACCESS_KEYS = ("host", "hostaddr", "port", "user", "password", "dbname", "service")
# Seconds a live read (service form, ticket, portal) waits for a router at most.
DEFAULT_LIVE_TIMEOUT = 3.0

_logger = logging.getLogger(__name__)


def _scrub_address(match):
    """``***`` for an IP address (with its port, if any), else the text unchanged."""
    token = match.group(0)
    core = token.rstrip(".:")
    candidates = [(core, "")]
    head, _colon, port = core.rpartition(":")
    if head and port.isdigit():
        candidates.append((head, ":***"))
    for address, rest in candidates:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue
        return "***" + rest + token[len(core) :]
    return token


class WispRouter(models.Model):
    """A NAS: the router that authenticates and shapes the services of a site.

    Credentials (API password, RADIUS server, shared secret) are readable by network
    engineers only (field ``groups``); they are never tracked, never shown in
    the chatter and never logged: the adapters scrub them from their errors.
    """

    _name = "wisp.router"
    _description = "Router (NAS)"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "site_id, sequence, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10, help="The first router of a site serves new services.")
    active = fields.Boolean(default=True)
    site_id = fields.Many2one("wisp.site", required=True, index=True, tracking=True)
    company_id = fields.Many2one(related="site_id.company_id", store=True, index=True)
    backend = fields.Selection(
        [("routeros", "MikroTik RouterOS API"), ("radius", "FreeRADIUS (SQL)")],
        required=True,
        default="routeros",
        tracking=True,
        help="RouterOS: the router's own PPP secrets / hotspot users are provisioned "
        "over its API. FreeRADIUS: the router does AAA against FreeRADIUS, whose SQL "
        "tables are provisioned.",
    )
    provisioning_enabled = fields.Boolean(
        default=True,
        tracking=True,
        help="Off: the suite queues nothing for this router and never connects to it "
        "(a router being commissioned, or demo data).",
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Responsible Engineer",
        tracking=True,
        help="Gets an activity when a sync job for this router fails for good; "
        "without one, the first network engineer does.",
    )

    # RouterOS API (for a RADIUS router: optional, used to ping and to kick sessions)
    host = fields.Char(required=True, tracking=True, help="Address of the router's API.")
    api_port = fields.Integer(
        string="API Port", help="Empty: 8729 with TLS (api-ssl), 8728 without (api)."
    )
    use_tls = fields.Boolean(string="Use TLS (api-ssl)", default=True, tracking=True)
    tls_verify = fields.Boolean(
        string="Verify Certificate",
        default=True,
        help="Check the router's certificate against the CA below (or the system's).",
    )
    tls_ca = fields.Text(string="Router CA (PEM)")
    username = fields.Char(string="API User", groups=NETWORK)
    password = fields.Char(string="API Password", copy=False, groups=NETWORK)
    timeout = fields.Float(default=10.0, help="Seconds to connect and for each answer.")

    # FreeRADIUS
    radius_server_id = fields.Many2one(
        "wisp.radius.server",
        string="RADIUS Server",
        index=True,
        ondelete="restrict",
        tracking=True,
        groups=NETWORK,
        help="The FreeRADIUS database this router authenticates against; any number "
        "of routers share one. Each router's logins authenticate on it only.",
    )
    nas_address = fields.Char(
        string="NAS Address",
        tracking=True,
        help="Address the router sends its RADIUS requests from (its client entry on "
        "the RADIUS server); empty: the host above, which must then be an IP address.",
    )
    nas_vendor = fields.Selection(
        [("mikrotik", "MikroTik")],
        string="NAS Vendor",
        default="mikrotik",
        required=True,
        help="Decides the attributes of the RADIUS replies (rate limit, address list).",
    )
    coa_secret = fields.Char(
        string="RADIUS Shared Secret",
        copy=False,
        groups=NETWORK,
        help="The router's RADIUS secret: its client entry on the RADIUS server, and the "
        "dynamic-authorization (CoA/Disconnect) requests sent to it.",
    )
    coa_port = fields.Integer(string="CoA Port", default=3799)

    # State, written by the job runner
    reachability = fields.Selection(
        [
            ("unknown", "Unknown"),
            ("reachable", "Reachable"),
            ("unreachable", "Unreachable"),
            ("error", "Refusing"),
        ],
        default="unknown",
        readonly=True,
        copy=False,
        help="Unreachable: no answer (retried). Refusing: it answers but refuses "
        "(credentials, a command): an engineer must look.",
    )
    last_contact = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    last_sync_date = fields.Datetime(string="Last Sync", readonly=True, copy=False)
    last_reconcile_date = fields.Datetime(readonly=True, copy=False)
    last_reconcile_created = fields.Integer(readonly=True, copy=False)
    last_reconcile_updated = fields.Integer(readonly=True, copy=False)
    last_reconcile_removed = fields.Integer(readonly=True, copy=False)
    # Health, written by the router poll (ir_cron_wisp_router_poll)
    health_date = fields.Datetime(string="Last Poll", readonly=True, copy=False)
    unreachable_since = fields.Datetime(
        readonly=True, copy=False, help="First poll that found the router not answering."
    )
    uptime_seconds = fields.Integer(string="Uptime (s)", readonly=True, copy=False)
    uptime_display = fields.Char(string="Uptime", compute="_compute_uptime_display")
    cpu_load = fields.Integer(string="CPU Load (%)", readonly=True, copy=False)
    free_memory_mb = fields.Integer(string="Free Memory (MB)", readonly=True, copy=False)
    routeros_version = fields.Char(string="RouterOS Version", readonly=True, copy=False)
    board_name = fields.Char(string="Board", readonly=True, copy=False)
    online_session_count = fields.Integer(
        string="Online Sessions",
        readonly=True,
        copy=False,
        help="Subscriber sessions open at the last poll.",
    )
    usage_cursor = fields.Char(
        readonly=True,
        copy=False,
        groups=NETWORK,
        help="Where the last usage reading stopped (RADIUS: a transaction id of the "
        "RADIUS database): the next reading reads only what changed since.",
    )
    service_ids = fields.One2many("wisp.service", "router_id")
    service_count = fields.Integer(compute="_compute_counts")
    failed_job_count = fields.Integer(compute="_compute_counts")
    can_ping = fields.Boolean(
        string="Runs Circuit Tests",
        compute="_compute_can_ping",
        # from the credentials, which only the network team reads: a yes/no for all
        compute_sudo=True,
        help="Pings go through the RouterOS API: a RADIUS router needs its API user.",
    )

    @api.depends("uptime_seconds")
    def _compute_uptime_display(self):
        for router in self:
            days, rest = divmod(router.uptime_seconds, 86400)
            hours, rest = divmod(rest, 3600)
            router.uptime_display = (
                f"{days}d {hours:02d}h{rest // 60:02d}m" if router.uptime_seconds else ""
            )

    @api.depends("backend", "username", "password")
    def _compute_can_ping(self):
        for router in self:
            router.can_ping = router.backend == "routeros" or bool(
                router.username and router.password
            )

    def _compute_counts(self):
        services = dict(
            self.env["wisp.service"]._read_group(
                [("router_id", "in", self.ids), ("state", "!=", "terminated")],
                ["router_id"],
                ["__count"],
            )
        )
        failed = dict(
            self.env["wisp.network.job"]._read_group(
                [("router_id", "in", self.ids), ("state", "=", "failed")],
                ["router_id"],
                ["__count"],
            )
        )
        for router in self:
            router.service_count = services.get(router, 0)
            router.failed_job_count = failed.get(router, 0)

    @api.constrains("nas_address")
    def _check_nas_address(self):
        for router in self.filtered("nas_address"):
            try:
                ipaddress.ip_address(router.nas_address.strip())
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "%(router)s: the NAS address must be an IP address.", router=router.name
                    )
                ) from None

    @api.constrains("radius_server_id", "nas_address", "host", "backend", "active")
    def _check_unique_nas(self):
        """Two clients with one address on a RADIUS server: radiusd takes one secret."""
        servers = self.sudo().filtered(lambda r: r.backend == "radius").radius_server_id
        for server in servers:
            routers = server.router_ids.filtered(lambda r: r.backend == "radius")
            seen = {}
            for router in routers:
                address = router._radius_nas().address
                if address in seen:
                    raise ValidationError(
                        self.env._(
                            "%(router)s and %(other)s send RADIUS from the same address to "
                            "%(server)s: set each router's NAS address.",
                            router=router.name,
                            other=seen[address].name,
                            server=server.name,
                        )
                    )
                seen[address] = router

    @api.model_create_multi
    def create(self, vals_list):
        routers = super().create(vals_list)
        # Services of the site that had no router get this one; one reconcile
        # job then provisions them all instead of a job per service.
        for router in routers:
            orphans = self.env["wisp.service"].search(
                [("site_id", "=", router.site_id.id), ("router_id", "=", False)]
            )
            orphans.sudo().with_context(wisp_network_no_sync=NO_SYNC).write(
                {"router_id": router.id}
            )
        routers.filtered("provisioning_enabled")._enqueue_reconcile()
        return routers

    def write(self, vals):
        if not RADIUS_CLIENT_FIELDS & vals.keys():
            return super().write(vals)
        before = self.sudo().radius_server_id
        result = super().write(vals)
        # the routers' client entries changed: their reconcile rewrites the server's
        # nas table (and a router left behind drops the one that moved away)
        after = self.sudo().radius_server_id
        affected = self.sudo().filtered(lambda r: r.backend == "radius")
        for server in before - after:
            affected |= server.router_ids.filtered(lambda r: r.backend == "radius")[:1]
        affected.filtered("provisioning_enabled")._enqueue_reconcile()
        return result

    # -------------------------------------------------------------------------
    # Backend
    # -------------------------------------------------------------------------
    def _get_backend(self, timeout=None):
        """The adapter for this router; nothing connects until it is used.

        Reads the credentials, so callers outside the network group go
        through ``sudo()``; the backend object never leaves the server.
        ``timeout`` caps the router's own (a live read must answer fast).
        """
        self.ensure_one()
        timeout = min(timeout, self.timeout or timeout) if timeout else self.timeout
        api = self._routeros_api(timeout)
        if self.backend == "routeros":
            return api
        server = self.radius_server_id
        if not server:
            raise BackendError(f"router {self.name}: no RADIUS server chosen", False)
        return server._backend(
            nas=self._radius_nas(),
            nas_host=self.host,
            secret=self.coa_secret or None,
            nas_secrets=self._peer_nas_secrets(),
            coa_port=self.coa_port or 3799,
            ping_via=api,
            timeout=timeout,
            connect_timeout=max(1, round(timeout)),
        )

    def _radius_nas(self):
        """This router as a RADIUS client (checked when used, by the adapter)."""
        self.ensure_one()
        return RadiusNas(
            address=(self.nas_address or self.host or "").strip(),
            secret=self.coa_secret or "",
            shortname=self.name,
            vendor=self.nas_vendor,
            description=self.site_id.name or "",
        )

    def _peer_nas_secrets(self):
        """``{address: shared secret}`` of the other routers on this router's RADIUS
        server: a login's session may sit on any of them (Disconnect-Requests go to
        the session's NAS). The ``nas`` table, which the adapter reads first,
        normally holds them all; this covers a router whose client is not written
        yet. Routers known by host name only are left out."""
        self.ensure_one()
        peers = self.sudo().search(
            [
                ("id", "!=", self.id),
                ("backend", "=", "radius"),
                ("radius_server_id", "=", self.radius_server_id.id),
                ("coa_secret", "!=", False),
            ]
        )
        secrets = {}
        for peer in peers:
            try:
                address = ipaddress.ip_address((peer.nas_address or peer.host).strip())
            except ValueError:
                continue
            secrets[str(address)] = peer.coa_secret
        return secrets

    def _routeros_api(self, timeout):
        """The RouterOS API adapter, or None for a RADIUS router without API access."""
        if not self.can_ping:
            return None
        return RouterOSBackend(
            self.host,
            port=self.api_port or None,
            username=self.username or "admin",
            password=self.password or "",
            use_tls=self.use_tls,
            timeout=timeout,
            verify_tls=self.tls_verify,
            ca_data=self.tls_ca or None,
        )

    def _scrub_access(self, text):
        """``text`` without anything of this router's access: address, ports, users,
        passwords, RADIUS database. For texts that leave the network team (tickets)."""
        router = self.sudo()
        server = router.radius_server_id
        words = {
            router.host,
            router.nas_address,
            router.username,
            router.password,
            server.dsn,
            server.schema,
            server.address,
            router.coa_secret,
        }
        if server.dsn:
            try:
                dsn = psycopg2.extensions.parse_dsn(server.dsn)
            except psycopg2.Error:
                dsn = {}  # cut whole above
            words.update(dsn.get(key) for key in DSN_ACCESS_KEYS)
        for word in sorted(filter(None, words), key=len, reverse=True):
            text = text.replace(word, "***")
        for pattern, replacement in SCRUB_PATTERNS:
            text = pattern.sub(replacement, text)
        text = ADDRESS_RE.sub(_scrub_address, text)
        text = PORT_RE.sub(r"\1:***", text)
        for port in filter(None, {router.api_port, router.coa_port, 8728, 8729}):
            text = re.sub(rf"\b{port}\b", "***", text)
        return text

    def _read_backend(self, read, what):
        """``read(backend)`` on this router, the connection closed after: its result,
        or None when the router could not be read (recorded on it: reachability, last
        error; the caller tries again next run) or cannot tell at all
        (``BackendUnsupported``: nothing was contacted, nothing is recorded)."""
        self.ensure_one()
        backend = None
        try:
            backend = self._get_backend()
            result = read(backend)
        except BackendUnsupported:
            return None
        except BackendError as exc:
            self._record_contact(exc)
            _logger.warning("%s of router %s not read: %s", what, self.name, exc)
            return None
        finally:
            if backend is not None:
                backend.close()
        self._record_contact()
        return result

    def _record_contact(self, error=None, synced=False):
        """Remember whether the router answered (after every backend call)."""
        now = fields.Datetime.now()
        if error is not None:
            values = {
                "reachability": "unreachable" if error.transient else "error",
                "last_error": str(error)[:500],
            }
        else:
            values = {"reachability": "reachable", "last_contact": now, "last_error": False}
            if synced:
                values["last_sync_date"] = now
        self.sudo().write(values)

    def _network_responsible(self):
        """Who hears about this router's trouble: its responsible engineer, else the
        first network engineer (an empty recordset when there is none)."""
        self.ensure_one()
        return (
            self.responsible_id
            or self.env.ref("wisp_subscriber.group_wisp_network")
            .sudo()
            .user_ids.filtered(lambda u: u.active and not u.share)[:1]
        )

    # -------------------------------------------------------------------------
    # Live sessions and health poll
    # -------------------------------------------------------------------------
    def _live_timeout(self):
        return float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("wisp_network.live_timeout", DEFAULT_LIVE_TIMEOUT)
        )

    def _read_live_sessions(self, logins):
        """``{login: [Session]}`` of ``logins`` on this router now, with the short live
        timeout. Raises BackendError when it does not answer. The outcome is
        recorded as the router's contact, except on a read-only cursor."""
        self.ensure_one()
        # a form's read may run on a read-only replica cursor: writing there would make
        # Odoo replay the request (and this router read) on the primary
        record = not self.env.cr.readonly
        backend = self.sudo()._get_backend(timeout=self._live_timeout())
        try:
            sessions = backend.read_sessions(set(logins))
        except BackendError as exc:
            if record:
                self._record_contact(exc)
            raise
        finally:
            backend.close()
        if record:
            self._record_contact()
        result = {}
        for session in sessions:
            result.setdefault(session.login, []).append(session)
        return result

    def _unreachable_summary(self):
        return self.env._("Router not answering")

    def _poll(self):
        """Read this router's health and sessions; record both, or its failure.

        A router that stops answering raises one activity for its responsible
        (not one per poll), closed again by the first poll it answers.
        """
        self.ensure_one()
        backend = self.sudo()._get_backend()
        api = backend if self.backend == "routeros" else backend.ping_via
        Session = self.env["wisp.service.session"]
        try:
            resource = api.system_resource() if api is not None else {}
            sessions = backend.read_sessions()
            live = {(session.login, session.session_id) for session in sessions}
            gone = [
                (row.login, row.session_key)
                for row in Session._open_on(self)
                if (row.login, row.session_key) not in live
            ]
            ends = backend.read_session_ends(gone) if gone else {}
        except BackendError as exc:
            self._record_contact(exc)
            self._poll_failed(exc)
            return False
        finally:
            backend.close()
            if api is not None:
                api.close()
        self._record_contact()
        open_rows = Session._record_poll(self, sessions, ends)
        values = {
            "health_date": fields.Datetime.now(),
            "unreachable_since": False,
            "online_session_count": len(open_rows),
        }
        if resource:
            values.update(
                {
                    "uptime_seconds": int((parse_ms(resource.get("uptime")) or 0) // 1000),
                    "cpu_load": int(resource.get("cpu-load") or 0),
                    "free_memory_mb": int(resource.get("free-memory") or 0) // 2**20,
                    "routeros_version": resource.get("version", ""),
                    "board_name": resource.get("board-name", ""),
                }
            )
        self.sudo().write(values)
        close_failures(self, self._unreachable_summary())
        return True

    def _poll_failed(self, error):
        now = fields.Datetime.now()
        self.sudo().write({"health_date": now, "unreachable_since": self.unreachable_since or now})
        summary = self._unreachable_summary()
        if self.activity_ids.filtered(lambda activity: activity.summary == summary):
            return  # told once already
        user = self._network_responsible()
        if not user:
            _logger.warning("router %s does not answer and no network engineer exists", self.id)
            return
        self.sudo().activity_schedule(
            "mail.mail_activity_data_warning",
            user_id=user.id,
            summary=summary,
            note=self.env._(
                "%(router)s did not answer the poll of %(when)s: %(error)s",
                router=self.name,
                when=now,
                error=str(error),
            ),
        )

    @api.model
    def _cron_poll(self, commit=True):
        """Poll every provisioned router; one that fails (even with a bug) fails
        alone, visibly, and the next poll tries it again."""
        routers = self.sudo().search([("provisioning_enabled", "=", True)])
        for router in routers:
            each_alone(router, lambda r: r._poll(), self.env._("Router poll failed"))
            if commit:
                self.env["ir.cron"]._commit_progress(1)
        return routers

    # -------------------------------------------------------------------------
    # Desired state and reconcile
    # -------------------------------------------------------------------------
    def _served_services(self):
        """Every service this router must hold (one query, whatever the count)."""
        self.ensure_one()
        return (
            self.env["wisp.service"]
            .sudo()
            .search(
                [
                    ("router_id", "=", self.id),
                    ("service_type", "=", "internet"),
                    ("state", "in", list(self.env["wisp.service"]._network_present_states())),
                ]
            )
        )

    def _reconcile(self, backend):
        """Full apply: repair drift, remove leftovers; records and returns the report."""
        self.ensure_one()
        desired = [s for s in self._served_services()._network_states().values() if s]
        report = backend.apply(desired)
        if self.backend == "radius":
            self._reconcile_radius_clients(backend)
        now = fields.Datetime.now()
        self.sudo().write(
            {
                "last_reconcile_date": now,
                "last_sync_date": now,
                "last_reconcile_created": len(report.created),
                "last_reconcile_updated": len(report.updated),
                "last_reconcile_removed": len(report.removed),
            }
        )
        if report.changed:
            self.sudo().message_post(body=self._reconcile_summary(report, len(desired)))
        return report

    def _reconcile_radius_clients(self, backend):
        """Write the RADIUS server's client list (its routers) with this reconcile."""
        clients, kept = self.radius_server_id._nas_clients()
        report = backend.apply_clients(clients, keep=kept)
        if report.changed:
            self.sudo().message_post(
                body=self.env._(
                    "RADIUS clients of %(server)s changed (%(count)s): restart radiusd "
                    "so that it reads them.",
                    server=self.radius_server_id.name,
                    count=len(report.created) + len(report.updated) + len(report.removed),
                )
            )
        return report

    def _reconcile_summary(self, report, total):
        def names(logins):
            shown = ", ".join(sorted(logins)[:20])
            return shown + (" ..." if len(logins) > 20 else "")

        lines = [self.env._("Reconcile of %(count)s services repaired drift:", count=total)]
        for label, logins in (
            (self.env._("created"), report.created),
            (self.env._("updated"), report.updated),
            (self.env._("removed"), report.removed),
        ):
            if logins:
                lines.append(f"{label} ({len(logins)}): {names(logins)}")
        return "\n".join(lines)

    def _enqueue_reconcile(self):
        return self.env["wisp.network.job"]._enqueue(
            [{"router_id": router.id, "kind": "reconcile"} for router in self]
        )

    @api.model
    def _cron_reconcile(self):
        """Queue a reconcile for every router; the job runner does the I/O."""
        self.search([("provisioning_enabled", "=", True)])._enqueue_reconcile()

    # -------------------------------------------------------------------------
    # Buttons
    # -------------------------------------------------------------------------
    def action_reconcile(self):
        check_groups(self.env, (NETWORK,))
        self.check_access("write")
        disabled = self.filtered(lambda r: not r.provisioning_enabled)
        if disabled:
            raise UserError(
                self.env._(
                    "Enable provisioning on %(routers)s first.",
                    routers=", ".join(disabled.mapped("name")),
                )
            )
        self._enqueue_reconcile()
        return True

    def action_download_setup_script(self):
        """Download the RouterOS script that prepares this router for the suite."""
        check_groups(self.env, (NETWORK,))
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": f"/wisp_network/router/{self.id}/setup.rsc",
            "target": "self",
        }

    def _setup_script(self):
        """This router's RouterOS setup script (text), for the network team only:
        it names the API user and the RADIUS server, never a password or secret."""
        check_groups(self.env, (NETWORK,))
        self.ensure_one()
        self.check_access("read")
        services = self.env["wisp.service"].search(
            [
                ("router_id", "=", self.id),
                ("state", "!=", "terminated"),
                ("service_type", "=", "internet"),
            ]
        )
        # a DHCP lease carries its rate itself: only login kinds have profiles
        kinds_by_plan = {}
        for service in services.filtered("plan_id"):
            kinds_by_plan.setdefault(service.plan_id, set()).add(service._network_kind())
        profiles = [
            (kind, profile)
            for plan in sorted(kinds_by_plan, key=lambda p: p.id)
            for kind in sorted(kinds_by_plan[plan] - {"dhcp"})
            for profile in plan_speed_profiles(plan)
            if profile
        ]
        radius_host = ""
        if self.backend == "radius":
            radius_host = (
                self.radius_server_id._radius_host()
                if self.radius_server_id
                else "<RADIUS address>"
            )
        portal_host = urlsplit(self.get_base_url()).hostname or "<portal address>"
        data = routeros_setup.SetupData(
            router_name=self.name,
            host=self.host,
            # api_port is the plain API's on a router without TLS
            api_port=(self.use_tls and self.api_port) or 8729,
            use_tls=self.use_tls,
            api_user=self.username or "wisp",
            portal_host=portal_host,
            walled_garden=tuple(dict.fromkeys(self._setup_walled_garden_hosts(portal_host))),
            profiles=tuple(profiles),
            radius_host=radius_host,
            coa_port=self.coa_port or 3799,
            dhcp=any(service.access_method == "dhcp" for service in services),
        )
        return routeros_setup.render(data)

    def _setup_walled_garden_hosts(self, portal_host):
        """Hosts a restricted subscriber may reach: the portal (modules that add a
        payment provider add its hosts)."""
        return [portal_host]

    def action_check_connection(self):
        """Talk to the router now and show whether it answers."""
        check_groups(self.env, (NETWORK,))
        self.check_access("write")
        self.ensure_one()
        backend = None
        try:
            backend = self.sudo()._get_backend()
            backend.check_connection()
        except BackendError as exc:
            self._record_contact(exc)
            message, kind = str(exc), "danger"
        else:
            self._record_contact()
            message, kind = self.env._("%(router)s answers.", router=self.name), "success"
        finally:
            if backend is not None:
                backend.close()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, "sticky": kind == "danger"},
        }

    def action_view_services(self):
        return related_action(
            self,
            (SUPPORT, BILLING, NETWORK),
            "wisp_subscriber.wisp_service_action",
            lambda record: (
                [("router_id", "=", record.id)],
                {"default_router_id": record.id, "search_default_not_terminated": 1},
            ),
        )

    def action_view_failed_jobs(self):
        return related_action(
            self,
            (SUPPORT, NETWORK),
            "wisp_network.wisp_network_job_action",
            lambda record: ([("router_id", "=", record.id)], {"search_default_failed": 1}),
        )
