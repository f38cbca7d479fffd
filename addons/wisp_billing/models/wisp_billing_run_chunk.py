import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class WispBillingRunChunk(models.Model):
    """A slice of a billing run billed and committed in one transaction."""

    _name = "wisp.billing.run.chunk"
    _description = "Billing Run Chunk"
    _order = "id"

    run_id = fields.Many2one("wisp.billing.run", required=True, index=True, ondelete="cascade")
    partner_ids = fields.Many2many("res.partner", string="Subscribers")
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("failed", "Failed")],
        default="pending",
        required=True,
        index=True,
    )
    invoice_count = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)

    def _process(self):
        """Bill this chunk; a failure is recorded on it and rolled back alone."""
        self.ensure_one()
        run = self.run_id.with_company(self.run_id.company_id)
        try:
            with self.env.cr.savepoint():
                invoices = run._bill_subscribers(self._lock_due_partners(), run.date)
        except Exception as error:  # any error fails this chunk only
            _logger.exception("Billing chunk %s of run %s failed", self.id, run.id)
            self.write({"state": "failed", "error": str(error)})
            return
        self.write({"state": "done", "invoice_count": len(invoices), "error": False})

    def _lock_due_partners(self):
        """Lock this chunk's subscribers that are still due, so a subscriber
        queued twice (or billed from its form meanwhile) is billed once."""
        if not self.partner_ids:
            return self.partner_ids
        self.env["res.partner"].flush_model(["wisp_next_billing_date"])
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id IN %s AND wisp_next_billing_date <= %s "
            "ORDER BY id FOR UPDATE",
            [tuple(self.partner_ids.ids), self.run_id.date],
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])
