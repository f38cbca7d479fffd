from odoo import fields, models

from ..adapters.base import BackendError, BackendUnsupported


class WispCircuitTest(models.Model):
    """One ping of a CPE from its router, kept on the service's history."""

    _name = "wisp.circuit.test"
    _description = "Circuit Test"
    _order = "id desc"

    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", readonly=True
    )
    router_id = fields.Many2one("wisp.router", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    user_id = fields.Many2one(
        "res.users", string="Run By", default=lambda self: self.env.user, readonly=True
    )
    address = fields.Char(required=True, readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("reachable", "Reachable"),
            ("unreachable", "Unreachable"),
            ("error", "Router Error"),
        ],
        default="pending",
        required=True,
        readonly=True,
    )
    sent = fields.Integer(readonly=True)
    received = fields.Integer(readonly=True)
    loss_pct = fields.Float(string="Loss (%)", digits=(5, 1), readonly=True)
    min_ms = fields.Float(string="Min (ms)", digits=(10, 2), readonly=True)
    avg_ms = fields.Float(string="Avg (ms)", digits=(10, 2), readonly=True)
    max_ms = fields.Float(string="Max (ms)", digits=(10, 2), readonly=True)
    error = fields.Char(readonly=True)

    def _run(self):
        """Ping through the router; a router that fails gives an error record, not a traceback."""
        count = int(self.env["ir.config_parameter"].sudo().get_param("wisp_network.ping_count", 5))
        for test in self:
            backend = None
            try:
                # sudo: support agents run the test without reading credentials.
                backend = test.router_id.sudo()._get_backend()
                result = backend.ping(test.address, count=count)
            except BackendUnsupported as exc:
                # nothing was contacted: the router's health is unknown, not "refusing"
                test.write({"state": "error", "error": str(exc)})
                continue
            except BackendError as exc:
                test.write({"state": "error", "error": str(exc)})
                test.router_id._record_contact(exc)
                continue
            finally:
                if backend is not None:
                    backend.close()
            test.router_id._record_contact()
            test.write(
                {
                    "state": "reachable" if result.received else "unreachable",
                    "sent": result.sent,
                    "received": result.received,
                    "loss_pct": result.loss_pct,
                    "min_ms": result.min_ms,
                    "avg_ms": result.avg_ms,
                    "max_ms": result.max_ms,
                }
            )

    def _summary(self):
        self.ensure_one()
        if self.state == "error":
            return self.env._(
                "Circuit test to %(address)s failed: %(error)s",
                address=self.address,
                error=self.error,
            )
        if self.state == "unreachable":
            return self.env._(
                "Circuit test: %(address)s does not answer (%(sent)s pings from %(router)s).",
                address=self.address,
                sent=self.sent,
                router=self.router_id.name,
            )
        return self.env._(
            "Circuit test to %(address)s from %(router)s: %(loss).0f%% loss, "
            "min/avg/max %(min).1f/%(avg).1f/%(max).1f ms.",
            address=self.address,
            router=self.router_id.name,
            loss=self.loss_pct,
            min=self.min_ms,
            avg=self.avg_ms,
            max=self.max_ms,
        )
