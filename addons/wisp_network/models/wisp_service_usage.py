import logging

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone

from ..adapters.base import BackendError

_logger = logging.getLogger(__name__)

MB = 10**6


def counter_delta(current, last):
    """Bytes since the last reading of a cumulative counter.

    A counter below its last value was reset (RouterOS drops a session's queue
    at disconnect; radacct rows may be purged): it counted from zero again.
    """
    return current - last if current >= last else current


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

        Router I/O happens between commits (``commit=False`` in tests).
        """
        today = today or fields.Date.context_today(self)
        routers = self.env["wisp.router"].sudo().search([("provisioning_enabled", "=", True)])
        for router in routers:
            backend = None
            try:
                backend = router._get_backend()
                counters = backend.read_usage()
            except BackendError as exc:
                router._record_contact(exc)
                _logger.warning("usage of router %s not read: %s", router.name, exc)
                continue
            finally:
                if backend is not None:
                    backend.close()
            router._record_contact()
            # one router's bad reading is reported on it and leaves the others' recorded
            each_alone(
                router,
                lambda r, c=counters: self._record_counters(r, c, today),
                self.env._("Usage not recorded"),
            )
            if commit:
                self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _record_counters(self, router, counters, today):
        """Turn cumulative counters into today's usage rows; returns services capped now."""
        by_login = {usage.login: usage for usage in counters}
        services = (
            self.env["wisp.service"]
            .sudo()
            .search([("router_id", "=", router.id), ("login", "in", list(by_login))])
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
            usage = by_login[service.login]
            down = counter_delta(usage.download_bytes, service.usage_counter_download)
            up = counter_delta(usage.upload_bytes, service.usage_counter_upload)
            counters = {
                "usage_counter_download": usage.download_bytes,
                "usage_counter_upload": usage.upload_bytes,
            }
            if down or up:
                counters["last_traffic_date"] = now
            service.write(counters)
            if not (down or up):
                continue
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
