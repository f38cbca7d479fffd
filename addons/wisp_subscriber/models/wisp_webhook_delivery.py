import json
import logging
import time
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import webhook as transport

_logger = logging.getLogger(__name__)

# a failed delivery is tried again after 1, 2, 4 ... 64 minutes, then given up (~2 hours)
MAX_ATTEMPTS = 8
RETRY_SECONDS = 60
BATCH_SIZE = 50


class WispWebhookDelivery(models.Model):
    """The webhook outbox: one row per event and subscription.

    An outbox (``wisp.outbox.mixin``) like the subscriber messages: the business
    transaction only inserts rows and triggers the delivery cron before it commits: a
    receiver hears of a change only once it is committed, and a slow or broken receiver
    never holds up or fails a billing run. The cron signs and POSTs each row through
    ``tools/webhook.py``; a failure stays on its row with its error and is retried
    with an exponential backoff until ``MAX_ATTEMPTS``, then shows as given up.
    Delivery is at least once: the payload's ``id`` tells a receiver a repeat.
    """

    _name = "wisp.webhook.delivery"
    _inherit = ["wisp.outbox.mixin"]
    _description = "Webhook Delivery"
    _order = "id desc"
    _rec_name = "event_id"
    _outbox_cron = "wisp_subscriber.ir_cron_wisp_webhook_deliver"
    _outbox_max_attempts = MAX_ATTEMPTS
    _outbox_retry_delay = timedelta(seconds=RETRY_SECONDS)
    # a delivery made is committed before the next is sent: a later rollback (a worker
    # killed, a write that conflicts) would have it sent again
    _outbox_commit_each_row = True

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
    state = fields.Selection([("queued", "Queued"), ("sent", "Delivered"), ("failed", "Given Up")])
    sent_date = fields.Datetime(string="Delivered On")

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
        self._outbox_trigger()
        return True

    # ------------------------------------------------------------ delivering

    @api.model
    def _cron_deliver(self, batch_size=BATCH_SIZE, commit=True):
        """Deliver the due rows in batches, each row's outcome committed as soon as its
        receiver answered (``commit=False``: in the caller's transaction, for tests)."""
        return self._outbox_process(batch_size, commit)

    @api.model
    def _outbox_claim_join(self):
        return SQL("JOIN wisp_webhook webhook ON webhook.id = outbox.webhook_id AND webhook.active")

    def _outbox_send_batch(self):
        # a receiver that failed is not tried again in this batch: a dead or slow one
        # costs one timeout per batch, and the other receivers get theirs
        failed = {}
        for delivery in self:
            error = failed.get(delivery.webhook_id)
            if error:
                delivery._outbox_failed(
                    self.env._(
                        "Not tried: the receiver failed just before (%(error)s)", error=error
                    )
                )
            elif not delivery._outbox_send_isolated():
                failed[delivery.webhook_id] = delivery.last_error
            yield delivery

    def _outbox_send(self):
        """POST this row to its receiver, signed."""
        webhook = self.webhook_id.sudo()
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
        return {}

    def _outbox_error(self, exc):
        webhook = self.webhook_id.sudo()
        if isinstance(exc, transport.WebhookError):  # its text names no URL nor secret
            _logger.info("Webhook delivery %s to %s failed: %s", self.id, webhook.name, exc)
            return str(exc)
        # a bug in one delivery must not stop the others
        _logger.exception("Webhook delivery %s to %s failed unexpectedly", self.id, webhook.name)
        return self.env._(
            "Unexpected error (%(kind)s): see the server log.", kind=type(exc).__name__
        )
