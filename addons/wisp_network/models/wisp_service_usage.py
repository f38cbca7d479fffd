import random
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone

MB = 10**6
# Demo data: a day's traffic in GB (low, high) by the plan's download speed (kbit/s)
DEMO_DAILY_GB = ((25000, (1.5, 5.0)), (60000, (3.0, 8.0)), (None, (8.0, 22.0)))


def counter_delta(current, last, monotonic=False):
    """Bytes since the last reading of a cumulative counter.

    A counter below its last value was reset (RouterOS drops a session's queue
    at disconnect): it counted from zero again. A ``monotonic`` total (RADIUS
    accounting folded per login, which a purge leaves alone) never restarts:
    a lower reading is a late correction and adds nothing.
    """
    if current >= last:
        return current - last
    return 0 if monotonic else current


class WispServiceUsage(models.Model):
    """Data used by one service on one day (MB, 10^6 bytes), for caps and charts."""

    _name = "wisp.service.usage"
    _description = "Service Daily Usage"
    _order = "date desc, service_id"
    _rec_name = "date"

    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(related="service_id.commercial_partner_id", store=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    date = fields.Date(required=True, index=True, readonly=True)
    download_mb = fields.Float(string="Download (MB)", digits=(16, 1), readonly=True)
    upload_mb = fields.Float(string="Upload (MB)", digits=(16, 1), readonly=True)
    total_mb = fields.Float(
        string="Total (MB)", digits=(16, 1), compute="_compute_total_mb", store=True
    )

    _service_date_uniq = models.UniqueIndex("(service_id, date)")

    @api.depends("download_mb", "upload_mb")
    def _compute_total_mb(self):
        for usage in self:
            usage.total_mb = usage.download_mb + usage.upload_mb

    @api.model
    def _cron_collect(self, commit=True, today=None):
        """Read every router's counters, store the day's deltas, apply data caps.

        Each router is read from its ``usage_cursor`` (only what changed since the
        last reading, where the backend can tell); the new cursor is stored with
        the counters, in one transaction, so a reading that is not recorded is
        read again next time. Router I/O happens between commits (``commit=False``
        in tests).
        """
        today = today or fields.Date.context_today(self)
        routers = self.env["wisp.router"].sudo().search([("provisioning_enabled", "=", True)])
        for router in routers:
            reading = router._read_backend(
                lambda b, r=router: b.read_usage_since(r.usage_cursor or None), "usage"
            )
            if reading is None:
                continue
            counters, cursor = reading
            # one router's bad reading is reported on it and leaves the others' recorded
            each_alone(
                router,
                lambda r, c=counters, k=cursor: self._record_reading(r, c, k, today),
                self.env._("Usage not recorded"),
            )
            if commit:
                self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _record_reading(self, router, counters, cursor, today):
        self._record_counters(router, counters, today)
        if (cursor or False) != router.usage_cursor:
            router.usage_cursor = cursor

    @api.model
    def _record_counters(self, router, counters, today):
        """Turn cumulative counters into today's usage rows; returns services capped now."""
        by_login = {usage.login: usage for usage in counters}
        services = (
            self.env["wisp.service"]
            .sudo()
            .search([("router_id", "=", router.id), ("network_login", "in", list(by_login))])
        )
        rows = {
            row.service_id: row
            for row in self.sudo().search(
                [("service_id", "in", services.ids), ("date", "=", today)]
            )
        }
        to_create = []
        now = fields.Datetime.now()
        for service in services:
            usage = by_login[service.network_login]
            last_down, last_up = service.usage_counter_download, service.usage_counter_upload
            down = counter_delta(usage.download_bytes, last_down, usage.monotonic)
            up = counter_delta(usage.upload_bytes, last_up, usage.monotonic)
            # a monotonic total keeps its high mark: after a late correction only
            # the rise above it counts
            keep = max if usage.monotonic else lambda current, _last: current
            counters = {
                "usage_counter_download": keep(usage.download_bytes, last_down),
                "usage_counter_upload": keep(usage.upload_bytes, last_up),
            }
            if not (down or up):
                # an idle service: no write (and no write_date) unless its counter moved
                if (counters["usage_counter_download"], counters["usage_counter_upload"]) != (
                    last_down,
                    last_up,
                ):
                    service.write(counters)
                continue
            service.write({**counters, "last_traffic_date": now})
            row = rows.get(service)
            if row:
                row.write(
                    {
                        "download_mb": row.download_mb + down / MB,
                        "upload_mb": row.upload_mb + up / MB,
                    }
                )
            else:
                to_create.append(
                    {
                        "service_id": service.id,
                        "date": today,
                        "download_mb": down / MB,
                        "upload_mb": up / MB,
                    }
                )
        self.sudo().create(to_create)
        return services._check_data_caps(today)

    @api.model
    def _wisp_demo_usage(self, days=30):
        """Demo data: ``days`` daily readings for each active internet service that has
        none (since its activation if later), busier at weekends, so charts and cycle
        totals have something to show. The same numbers on every install (seeded by
        service), always under the plan's data cap."""
        today = fields.Date.context_today(self)
        services = self.env["wisp.service"].search(
            [("service_type", "=", "internet"), ("state", "=", "active"), ("usage_ids", "=", False)]
        )
        rows = []
        for service in services:
            rng = random.Random(service.id)  # noqa: S311 - demo figures, not secrets
            speed = service.plan_id.download_kbps
            low, high = next(g for limit, g in DEMO_DAILY_GB if limit is None or speed <= limit)
            first = max(today - timedelta(days=days - 1), service.activation_date or today)
            day = first
            while day <= today:
                total_gb = rng.uniform(low, high) * (1.3 if day.weekday() >= 5 else 1.0)
                if service.data_cap_gb:
                    total_gb = min(total_gb, 0.8 * service.data_cap_gb / 31)
                rows.append(
                    {
                        "service_id": service.id,
                        "date": day,
                        "download_mb": round(total_gb * 880, 1),
                        "upload_mb": round(total_gb * 120, 1),
                    }
                )
                day += timedelta(days=1)
        return self.create(rows)
