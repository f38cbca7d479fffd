import json
import logging
import time
import uuid
from datetime import timedelta

from odoo import api, fields, models

from ..tools import webhook as transport
from ..tools.access import MANAGER, check_groups
from ..tools.outbox import trigger_after_commit

_logger = logging.getLogger(__name__)

# a failed delivery is tried again after 1, 2, 4 ... 64 minutes, then given up (~2 hours)
MAX_ATTEMPTS = 8
RETRY_SECONDS = 60
BATCH_SIZE = 50


class WispWebhookDelivery(models.Model):
    """The webhook outbox: one row per event and subscription.

    Like the subscriber messages (``wisp.message``), the business transaction only
    inserts rows and triggers the delivery cron before it commits: a receiver hears
    of a change only once it is committed, and a slow or broken receiver never holds
    up or fails a billing run. The cron signs and POSTs each row through
    ``tools/webhook.py``; a failure stays on its row with its error and is retried
    with an exponential backoff until ``MAX_ATTEMPTS``, then shows as given up.
    Delivery is at least once: the payload's ``id`` tells a receiver a repeat.
    """

    _name = "wisp.webhook.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"
    _rec_name = "event_id"

    webhook_id = fields.Many2one(
        "wisp.webhook", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="webhook_id.company_id", store=True, index=True)
    event_id = fields.Many2one(
        "wisp.webhook.event", required=True, readonly=True, ondelete="cascade"
    )
    event_uuid = fields.Char(
        string="Event Id", required=True, readonly=True, help="The payload's id, for receivers."
    )
    payload = fields.Text(readonly=True, help="The JSON body sent.")
    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Delivered"), ("failed", "Given Up")],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_error = fields.Text(readonly=True)
    sent_date = fields.Datetime(string="Delivered On", readonly=True)

    _event_once = models.Constraint(
        "UNIQUE(event_uuid, webhook_id)", "A subscription gets each event once."
    )

    # ------------------------------------------------------------ queueing

    @api.model
    def _queue(self, code, items):
        """Queue event ``code`` for the subscriptions to it; cheap, never raising.

        :param items: ``[(company, data)]``, one per occurrence: ``data`` (a JSON-able
            dict) goes out as the payload's ``data`` to the subscriptions of ``company``.
        """
        webhooks = self.env["wisp.webhook"].sudo().search([("event_ids.code", "=", code)])
        if not webhooks or not items:
            return False
        event = webhooks.event_ids.filtered(lambda e: e.code == code)[:1]
        by_company = webhooks.grouped("company_id")
        created = fields.Datetime.now()
        vals_list = []
        for company, data in items:
            targets = by_company.get(company)
            if not targets:
                continue
            event_uuid = str(uuid.uuid4())
            payload = json.dumps(
                {
                    "id": event_uuid,
                    "type": code,
                    "created_at": created.isoformat() + "Z",
                    "data": data,
                },
                default=str,
                sort_keys=True,
            )
            vals_list += [
                {
                    "webhook_id": webhook.id,
                    "event_id": event.id,
                    "event_uuid": event_uuid,
                    "payload": payload,
                }
                for webhook in targets
            ]
        if not vals_list:
            return False
        self.sudo().create(vals_list)
        trigger_after_commit(self.env, "wisp_subscriber.ir_cron_wisp_webhook_deliver")
        return True

    # ------------------------------------------------------------ delivering

    @api.model
    def _cron_deliver(self, batch_size=BATCH_SIZE, commit=True):
        """Deliver the due rows in batches, each row's outcome committed as soon as its
        receiver answered: a later failure (a worker killed, a write that conflicts)
        rolls back no delivery already made, so it is not sent again (``commit=False``:
        in the caller's transaction, for tests)."""
        Cron = self.env["ir.cron"]
        while True:
            self.flush_model()
            self.env.cr.execute(
                """
                SELECT d.id FROM wisp_webhook_delivery d
                  JOIN wisp_webhook w ON w.id = d.webhook_id AND w.active
                 WHERE d.state = 'queued' AND d.next_attempt <= now() at time zone 'utc'
                 ORDER BY d.id LIMIT %s FOR UPDATE OF d SKIP LOCKED
                """,
                [batch_size],
            )
            deliveries = self.browse(row[0] for row in self.env.cr.fetchall())
            if not deliveries:
                return
            # a receiver that failed is not tried again in this batch: a dead or slow
            # one costs one timeout per batch, and the other receivers get theirs
            failed = {}
            for delivery in deliveries:
                error = failed.get(delivery.webhook_id)
                if error:
                    delivery._record_failure(
                        self.env._(
                            "Not tried: the receiver failed just before (%(error)s)", error=error
                        )
                    )
                else:
                    error = delivery._deliver()
                    if error:
                        failed[delivery.webhook_id] = error
                if commit and not Cron._commit_progress(1):
                    return

    def _deliver(self):
        """POST this row to its receiver; return None, or the error kept on the row."""
        self.ensure_one()
        webhook = self.webhook_id.sudo()
        try:
            transport.post(
                webhook.url,
                self.payload.encode(),
                webhook.secret,
                int(time.time()),
                headers={
                    transport.EVENT_HEADER: self.event_id.code,
                    transport.DELIVERY_HEADER: str(self.id),
                },
                timeout=webhook.timeout,
            )
        except transport.WebhookError as exc:
            error = str(exc)
            _logger.info("Webhook delivery %s to %s failed: %s", self.id, webhook.name, error)
            self._record_failure(error)
            return error
        except Exception as exc:  # a bug in one delivery must not stop the others
            _logger.exception(
                "Webhook delivery %s to %s failed unexpectedly", self.id, webhook.name
            )
            error = self.env._(
                "Unexpected error (%(kind)s): see the server log.", kind=type(exc).__name__
            )
            self._record_failure(error)
            return error
        self.write(
            {
                "state": "sent",
                "sent_date": fields.Datetime.now(),
                "attempts": self.attempts + 1,
                "last_error": False,
            }
        )
        return None

    def _record_failure(self, error):
        attempts = self.attempts + 1
        self.write(
            {
                "attempts": attempts,
                "last_error": error,
                "state": "failed" if attempts >= MAX_ATTEMPTS else "queued",
                "next_attempt": fields.Datetime.now()
                + timedelta(seconds=RETRY_SECONDS * 2 ** (attempts - 1)),
            }
        )

    def action_retry(self):
        """Queue given-up deliveries again (the receiver is fixed)."""
        check_groups(self.env, (MANAGER,))
        self.check_access("write")
        self.filtered(lambda d: d.state == "failed").write(
            {"state": "queued", "next_attempt": fields.Datetime.now(), "attempts": 0}
        )
        self.env.ref("wisp_subscriber.ir_cron_wisp_webhook_deliver")._trigger()
        return True
