import random
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import NETWORK

# How long closed sessions are kept when the parameter is not set (days).
DEFAULT_HISTORY_DAYS = 180
SESSION_KINDS = [("pppoe", "PPPoE"), ("hotspot", "Hotspot"), ("dhcp", "DHCP")]


class WispServiceSession(models.Model):
    """One subscriber session on a NAS, as the router poll saw it.

    The poll (:meth:`wisp.router._cron_poll`) opens a row for every session it
    finds, updates its counters while the session lives and closes it when the
    session is gone: the stop time is the first poll that no longer found it
    (or the staff disconnect that ended it). Rows are facts recorded by the suite:
    staff read them, nobody writes them; closed ones are purged after
    ``wisp_network.session_history_days``.
    """

    _name = "wisp.service.session"
    _description = "Service Session"
    _order = "start_date desc, id desc"
    _rec_name = "login"

    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", readonly=True
    )
    router_id = fields.Many2one(
        "wisp.router", string="NAS", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    site_id = fields.Many2one(related="router_id.site_id", store=True)
    login = fields.Char(required=True, readonly=True)
    session_key = fields.Char(
        string="Session ID", required=True, readonly=True, help="The NAS's id of the session."
    )
    kind = fields.Selection(SESSION_KINDS, readonly=True)
    state = fields.Selection(
        [("open", "Online"), ("closed", "Ended")],
        required=True,
        default="open",
        index=True,
        readonly=True,
    )
    address = fields.Char(string="IP Address", readonly=True)
    mac_address = fields.Char(string="MAC", readonly=True)
    # the NAS's address is router access: network team only
    nas_address = fields.Char(string="NAS Address", readonly=True, groups=NETWORK)
    start_date = fields.Datetime(string="Start", readonly=True)
    last_seen_date = fields.Datetime(string="Last Seen", readonly=True)
    stop_date = fields.Datetime(string="Stop", readonly=True)
    duration_hours = fields.Float(
        string="Duration (h)", compute="_compute_duration_hours", store=True, digits=(16, 2)
    )
    # bytes pass 2^31 within a session: stored as floats (exact up to 2^53)
    download_bytes = fields.Float(string="Download (bytes)", digits=(20, 0), readonly=True)
    upload_bytes = fields.Float(string="Upload (bytes)", digits=(20, 0), readonly=True)
    download_mb = fields.Float(
        string="Download (MB)", compute="_compute_mb", store=True, digits=(16, 1)
    )
    upload_mb = fields.Float(
        string="Upload (MB)", compute="_compute_mb", store=True, digits=(16, 1)
    )
    end_cause = fields.Char(readonly=True, help="Why the session ended, where known.")

    # A NAS's id names a session while it lives only: a rebooted router numbers its
    # sessions (and a DHCP lease's queue) from the start again.
    _router_session_uniq = models.UniqueIndex(
        "(router_id, login, session_key) WHERE state = 'open'"
    )

    @api.depends("start_date", "stop_date", "last_seen_date")
    def _compute_duration_hours(self):
        for session in self:
            end = session.stop_date or session.last_seen_date
            start = session.start_date
            seconds = (end - start).total_seconds() if end and start else 0
            session.duration_hours = max(0.0, seconds / 3600)

    @api.depends("download_bytes", "upload_bytes")
    def _compute_mb(self):
        for session in self:
            session.download_mb = session.download_bytes / 10**6
            session.upload_mb = session.upload_bytes / 10**6

    @api.model
    def _open_on(self, router):
        return self.sudo().search([("router_id", "=", router.id), ("state", "=", "open")])

    @api.model
    def _record_poll(self, router, sessions, ends=None):
        """Bring ``router``'s open rows in line with the ``sessions`` it holds now
        (adapter :class:`Session` objects): new ones open, seen ones are updated,
        missing ones close, at the stop time and with the cause of ``ends``
        (``Backend.read_session_ends``) when the backend knows them, else now.
        Returns the open rows."""
        now = fields.Datetime.now()
        ends = ends or {}
        rows = self._open_on(router)
        by_key = {(row.login, row.session_key): row for row in rows}
        services = {
            service.network_login: service
            for service in self.env["wisp.service"]
            .sudo()
            .search(
                [
                    ("router_id", "=", router.id),
                    ("network_login", "in", [s.login for s in sessions]),
                ]
            )
        }
        seen, to_create = self.sudo().browse(), []
        for session in sessions:
            service = services.get(session.login)
            if not service:
                continue  # a hand-made login: not a subscriber's session
            values = {
                "address": session.address,
                "mac_address": session.mac,
                "nas_address": session.nas,
                "last_seen_date": now,
                "download_bytes": session.download_bytes,
                "upload_bytes": session.upload_bytes,
            }
            row = by_key.get((session.login, session.session_id))
            if row:
                row.write(values)
                seen |= row
            else:
                to_create.append(
                    {
                        **values,
                        "service_id": service.id,
                        "router_id": router.id,
                        "login": session.login,
                        "session_key": session.session_id or session.login,
                        "kind": session.kind if session.kind in dict(SESSION_KINDS) else False,
                        "start_date": session.started or now,
                    }
                )
        for row in rows - seen:
            stop, cause = ends.get((row.login, row.session_key), (None, ""))
            row._close(stop or now, cause or False)
        return seen | self.sudo().create(to_create)

    def _close(self, when, cause=False):
        if self:
            self.sudo().write({"state": "closed", "stop_date": when, "end_cause": cause})

    @api.model
    def _cron_purge(self):
        """Drop closed sessions older than the retention (bounded history)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("wisp_network.session_history_days", DEFAULT_HISTORY_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=max(days, 1))
        old = self.sudo().search([("state", "=", "closed"), ("stop_date", "<", limit)])
        old.unlink()
        return len(old)

    @api.model
    def _wisp_demo_sessions(self, days=7):
        """Demo data: a week of sessions for each active internet service that has
        none (a reconnect every day or two, the last one still open), so the service's
        Sessions tab and the dashboard's online figures have something to show. The
        same figures on every install (seeded by service)."""
        now = fields.Datetime.now().replace(microsecond=0)
        services = self.env["wisp.service"].search(
            [
                ("service_type", "=", "internet"),
                ("state", "=", "active"),
                ("router_id", "!=", False),
                ("network_login", "!=", False),
                ("session_ids", "=", False),
            ]
        )
        rows = []
        for service in services:
            rng = random.Random(service.id)  # noqa: S311 - demo figures, not secrets
            kind = "hotspot" if service.plan_id.is_prepaid else "pppoe"
            if service.access_method == "dhcp":
                kind = "dhcp"
            start = now - timedelta(days=days)
            number = 0
            while start < now:
                number += 1
                stop = min(start + timedelta(hours=rng.uniform(12, 60)), now)
                is_open = stop >= now
                hours = (stop - start).total_seconds() / 3600
                rows.append(
                    {
                        "service_id": service.id,
                        "router_id": service.router_id.id,
                        "login": service.network_login,
                        "session_key": f"0x{service.id:04X}{number:02X}",
                        "kind": kind,
                        "state": "open" if is_open else "closed",
                        "address": f"100.64.{service.id % 250}.{number % 250 + 2}",
                        "start_date": start,
                        "last_seen_date": stop,
                        "stop_date": False if is_open else stop,
                        "download_bytes": round(hours * rng.uniform(0.2, 1.5) * 10**9),
                        "upload_bytes": round(hours * rng.uniform(0.02, 0.15) * 10**9),
                        "end_cause": False if is_open else "Lost-Carrier",
                    }
                )
                start = stop + timedelta(minutes=rng.randint(1, 20))
        return self.create(rows)
