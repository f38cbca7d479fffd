import logging

from odoo import Command, fields, models

from .wisp_billing_run import WispBillingFailures

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
    failed_partner_ids = fields.Many2many(
        "res.partner",
        "wisp_billing_run_chunk_failed_partner_rel",
        string="Not Billed",
        readonly=True,
        help="Subscribers of this chunk that could not be billed (reasons in the error); "
        "they stay due and the next run bills them again.",
    )

    def _process(self):
        """Bill this chunk; a failure is recorded on it and rolled back alone."""
        self.ensure_one()
        run = self.run_id.with_company(self.run_id.company_id)
        failures, reasons = [], False
        try:
            with self.env.cr.savepoint():
                try:
                    invoices = run._bill_subscribers(self._lock_due_partners(), run.date)
                except WispBillingFailures as partial:
                    # the others' invoices are kept: only the culprits stay due
                    invoices, failures, reasons = partial.invoices, partial.failures, str(partial)
        except Exception as error:  # any other error fails this chunk only
            _logger.exception("Billing chunk %s of run %s failed", self.id, run.id)
            self.write(
                {
                    "state": "failed",
                    "error": str(error),
                    "failed_partner_ids": [Command.set(self.partner_ids.ids)],
                }
            )
            return
        self.write(
            {
                "state": "failed" if failures else "done",
                "invoice_count": len(invoices),
                "error": reasons,
                "failed_partner_ids": [Command.set([account.id for account, __ in failures])],
            }
        )

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
