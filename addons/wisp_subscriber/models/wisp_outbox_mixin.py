from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.access import MANAGER, check_groups
from ..tools.outbox import trigger_after_commit


class WispOutboxMixin(models.AbstractModel):
    """An outbox: rows the business transaction inserts, sent by a cron after it commits.

    The business code only inserts rows (cheap, never failing it) and calls
    :meth:`_outbox_trigger`. The cron (:meth:`_outbox_process`) claims due rows with
    ``FOR UPDATE SKIP LOCKED``, so two workers never take the same row, sends each
    alone in a savepoint and commits through ``ir.cron._commit_progress``: once per
    batch, or after each row when a send cannot be undone (``_outbox_commit_each_row``:
    a rollback after a webhook POST would send it again). A failed send stays on its
    row (``last_error``) and is tried again after a delay doubled at each attempt,
    until ``_outbox_max_attempts``: then the row is ``failed``, and staff queue it
    again with :meth:`action_retry` once the cause is fixed.

    An inheriting model (``wisp.message``, ``wisp.webhook.delivery``) sets the class
    attributes below and implements its send step, :meth:`_outbox_send`.
    """

    _name = "wisp.outbox.mixin"
    _description = "WISP Outbox"

    # XML id of the cron that sends the rows
    _outbox_cron = None
    _outbox_max_attempts = 5
    # the wait after the first failure; doubled at each further one
    _outbox_retry_delay = timedelta(minutes=5)
    # commit after each row instead of after each batch
    _outbox_commit_each_row = False
    # the states :meth:`action_retry` queues again
    _outbox_retry_states = ("failed",)

    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_error = fields.Text(readonly=True)
    sent_date = fields.Datetime(readonly=True)

    # ------------------------------------------------------------ queueing

    def _outbox_trigger(self):
        """Have the sending cron run once this transaction commits (rows queued)."""
        trigger_after_commit(self.env, self._outbox_cron)

    # ------------------------------------------------------------- sending

    @api.model
    def _outbox_process(self, batch_size, commit=True):
        """Send the due rows, batch after batch, until none is left or the cron's time
        is up (``commit=False``: in the caller's transaction, for tests). The cron
        sends for every company: as superuser, whoever triggers it."""
        outbox = self.sudo()
        Cron = self.env["ir.cron"]
        each_row = self._outbox_commit_each_row
        while True:
            outbox.flush_model()  # the rows sent in the last round are no longer queued
            batch = outbox._outbox_claim(batch_size)
            if not batch:
                return
            for _row in batch._outbox_send_batch():
                if commit and each_row and not Cron._commit_progress(1):
                    return
            if commit and not each_row and not Cron._commit_progress(len(batch)):
                return

    @api.model
    def _outbox_claim(self, limit):
        """Lock and return up to ``limit`` due rows that no other worker holds."""
        self.env.cr.execute(
            SQL(
                """
                SELECT outbox.id FROM %(table)s outbox %(join)s
                 WHERE outbox.state = 'queued' AND outbox.next_attempt <= now() at time zone 'utc'
                 ORDER BY outbox.id LIMIT %(limit)s FOR UPDATE OF outbox SKIP LOCKED
                """,
                table=SQL.identifier(self._table),
                join=self._outbox_claim_join(),
                limit=limit,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _outbox_claim_join(self):
        """A JOIN on ``outbox`` (the rows) that leaves out rows not to send now."""
        return SQL()

    def _outbox_send_batch(self):
        """Send these claimed rows one by one, yielding each once its outcome is
        written: the cron may commit it before the next row is sent."""
        for row in self:
            row._outbox_send_isolated()
            yield row

    def _outbox_send_isolated(self):
        """Send this row and record the outcome; a failure is rolled back, recorded on
        the row and never stops the others. Returns whether it was sent."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                values = self._outbox_send()
        except Exception as exc:  # any failure of one row stays on it
            self._outbox_failed(self._outbox_error(exc))
            return False
        self.write(
            {
                "state": "sent",
                "sent_date": fields.Datetime.now(),
                "attempts": self.attempts + 1,
                "last_error": False,
                **values,
            }
        )
        return True

    def _outbox_send(self):
        """Send this row; raise on failure. Returns the values to write on it once sent."""
        raise NotImplementedError

    def _outbox_error(self, exc):
        """Log the failure ``exc`` (called while handling it) and return the text kept
        on the row: no secret or address that the exception may carry."""
        raise NotImplementedError

    def _outbox_failed(self, error):
        """Record a failed attempt: retried after the backoff, or given up."""
        attempts = self.attempts + 1
        self.write(
            {
                "attempts": attempts,
                "last_error": error,
                "state": "failed" if attempts >= self._outbox_max_attempts else "queued",
                "next_attempt": fields.Datetime.now()
                + self._outbox_retry_delay * 2 ** (attempts - 1),
            }
        )

    def action_retry(self):
        """Queue these rows again with a fresh attempt count (staff fixed the cause)."""
        check_groups(self.env, (MANAGER,))
        self.check_access("write")
        self.filtered(lambda row: row.state in self._outbox_retry_states).write(
            {"state": "queued", "next_attempt": fields.Datetime.now(), "attempts": 0}
        )
        self.env.ref(self._outbox_cron)._trigger()
        return True
