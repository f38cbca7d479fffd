import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# a failed send is tried again after 5, 10, 20, 40 minutes, then stays failed
MAX_ATTEMPTS = 5
RETRY_MINUTES = 5
BATCH_SIZE = 100


class WispMessage(models.Model):
    """The subscriber messages outbox: one row per event, record and channel.

    The business transaction (an invoice posted, a service suspended) only inserts a
    row, which costs one statement and can never fail it. A cron renders and sends the
    rows in batches after commit, through Odoo's own mail queue and SMS queue, and
    logs each in the subscriber's chatter. The unique key makes each event reach a
    subscriber once per channel however often the business code announces it; a
    failed send is retried with a backoff and stays visible here with its error (the
    outbox machinery of ``wisp.outbox.mixin``).
    """

    _name = "wisp.message"
    _inherit = ["wisp.outbox.mixin"]
    _description = "Subscriber Message"
    _order = "id desc"
    _rec_name = "event_id"
    _outbox_cron = "wisp_subscriber.ir_cron_wisp_message_send"
    _outbox_max_attempts = MAX_ATTEMPTS
    _outbox_retry_delay = timedelta(minutes=RETRY_MINUTES)
    # also those never sent (no address): staff added one
    _outbox_retry_states = ("failed", "cancel")

    event_id = fields.Many2one(
        "wisp.message.event", required=True, readonly=True, index=True, ondelete="cascade"
    )
    channel = fields.Selection([("email", "E-mail"), ("sms", "SMS")], required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Recipient",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    res_model = fields.Char(string="Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, readonly=True
    )
    event_key = fields.Char(
        readonly=True, default="", help="What makes a repeat of the event a new one."
    )
    state = fields.Selection(
        # the policy Odoo asks of a value added to a required selection; the value
        # goes with the model itself
        selection_add=[("cancel", "Not Sent")],
        ondelete={"cancel": "cascade"},
    )
    mail_message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")

    _event_once = models.Constraint(
        "UNIQUE(event_id, res_model, res_id, event_key, channel)",
        "A subscriber gets each event once per channel.",
    )

    # ------------------------------------------------------------ queueing

    @api.model
    def _queue(self, code, record, partner, key="", channels=None):
        """Announce event ``code`` of ``record`` to ``partner``; cheap and never raising.

        Does nothing when the event is switched off for the partner's company. The
        channels are the partner's choice (e-mail, SMS or both) among those it can be
        reached on; a partner reachable on none gets a row saying so. ``channels``
        narrows them for an event another module already tells on the other channel
        (a ticket reply, mailed by helpdesk, is only texted here): nothing is queued
        when the partner chose none of them.
        """
        return self._queue_batch(code, [(record, partner, key)], channels=channels)

    @api.model
    def _queue_batch(self, code, items, channels=None):
        """:meth:`_queue` for many ``(record, partner, key)`` at once: one INSERT
        (a billing run announces each invoice it issues)."""
        event = self.env["wisp.message.event"].sudo().search([("code", "=", code)], limit=1)
        if not event:
            return False
        unreachable = self.env._("The subscriber has no e-mail address or mobile number.")
        rows = []
        for record, partner, key in items:
            # the company of the fact (an invoice's, a service's), else the subscriber's
            company = (
                ("company_id" in record._fields and record.company_id)
                or partner.company_id
                or record.env.company
            )
            if company in event.disabled_company_ids:
                continue
            chosen = partner._wisp_message_channels()
            if channels is not None:
                chosen = [c for c in chosen if c in channels]
                if not chosen:
                    continue
            for channel, state, error in [(c, "queued", None) for c in chosen] or [
                ("email", "cancel", unreachable)
            ]:
                rows.append(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        event.id,
                        channel,
                        partner.id,
                        company.id,
                        record._name,
                        record.id,
                        key or "",
                        state,
                        error,
                    )
                )
        if not rows:
            return False
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO wisp_message (event_id, channel, partner_id, company_id, res_model,
                    res_id, event_key, state, last_error, attempts, next_attempt,
                    create_uid, create_date, write_uid, write_date)
                SELECT v.*, 0, now() at time zone 'utc', %(uid)s, now() at time zone 'utc',
                    %(uid)s, now() at time zone 'utc'
                  FROM (VALUES %(rows)s) AS v
                ON CONFLICT (event_id, res_model, res_id, event_key, channel) DO NOTHING
                """,
                uid=self.env.uid,
                rows=SQL(", ").join(rows),
            )
        )
        if not self.env.cr.rowcount:
            return False  # all told already
        self._outbox_trigger()
        return True

    # ------------------------------------------------------------- sending

    @api.model
    def _cron_send(self, batch_size=BATCH_SIZE, commit=True):
        """Send the due messages in batches, each batch committed on its own
        (``commit=False``: in the caller's transaction, for tests)."""
        return self._outbox_process(batch_size, commit)

    def _outbox_send_batch(self):
        self._prepare_documents()
        return super()._outbox_send_batch()

    def _prepare_documents(self):
        """Prepare, once for the whole batch, what its messages attach (billing renders
        every invoice PDF of the batch in one report run). A failure here only loses the
        head start: each message then renders its own and fails, if it must, alone."""

    def _outbox_send(self):
        return {"mail_message_id": self._send().id}

    def _outbox_error(self, exc):
        _logger.warning("Message %s (%s) failed: %s", self.id, self.event_id.code, exc)
        return str(exc)

    def _send(self):
        """Render the event's template on the document and post it to the recipient.

        It is logged in the subscriber's chatter; the e-mail goes through Odoo's mail
        queue, the SMS through the SMS queue (the company's SMS provider, e.g. Twilio).
        A confidential event's message is not logged (see :meth:`_send_unlogged`).
        """
        document = self.env[self.res_model].browse(self.res_id).exists()
        if not document:
            raise ValueError(self.env._("The document of this message no longer exists."))
        partner = self.partner_id
        # a retried "not sent" row, or an address removed since: Odoo would log the
        # message and notify nobody, and the row would say sent
        if not (partner.email if self.channel == "email" else partner.wisp_sms_number):
            raise ValueError(self.env._("The recipient has no address on this channel."))
        subscriber = partner.commercial_partner_id.with_context(
            mail_notify_force_send=False, lang=partner.lang
        )
        if self.channel == "sms":
            template = self.event_id.sms_template_id
            if not template:
                raise ValueError(self.env._("The event has no SMS template."))
            body = template._render_field("body", document.ids, compute_lang=True)[document.id]
            if self.event_id.confidential:
                return self._send_unlogged(body=body)
            return subscriber._message_sms(
                body,
                partner_ids=partner.ids,
                sms_pid_to_number={partner.id: partner.wisp_sms_number},
            )
        template = self.event_id.mail_template_id
        if not template:
            raise ValueError(self.env._("The event has no e-mail template."))
        if self.event_id.confidential:
            return self._send_unlogged(document=document, template=template)
        values = self._render_mail(template.with_context(lang=partner.lang), document)
        return subscriber.message_post(
            body=values["body_html"],
            subject=values["subject"],
            attachments=values.get("attachments", []),
            attachment_ids=values.get("attachment_ids", []),
            partner_ids=partner.ids,
            message_type="comment",
            # a note: only the recipient is notified, not the staff following the
            # subscriber (a discussion would e-mail them every invoice of it)
            subtype_xmlid="mail.mt_note",
            email_layout_xmlid="mail.mail_notification_light",
        )

    def _render_mail(self, template, document):
        """Subject, body and attachments (``attachment_ids``, and ``attachments`` as
        ``(name, base64 content)`` for the template's reports) of the e-mail."""
        return template._generate_template(
            document.ids, ("subject", "body_html", "attachment_ids", "report_template_ids")
        )[document.id]

    def _send_unlogged(self, body=None, document=None, template=None):
        """Send a secret (an access code) to its recipient only: the SMS ``body``
        straight to the provider, or ``template`` on ``document`` as an e-mail of no
        document (so in no chatter), deleted once sent. Returns no message."""
        partner = self.partner_id
        if self.channel == "sms":
            sms = self.env["sms.sms"].create(
                {"partner_id": partner.id, "number": partner.wisp_sms_number, "body": body}
            )
            sms.send(unlink_failed=True, raise_exception=True)
            # a refusal by the provider (bad number, no credit) does not raise: the
            # code would be lost while the message says sent
            if sms.state == "error":
                raise ValueError(
                    self.env._("The SMS provider refused it: %(reason)s", reason=sms.failure_type)
                )
        else:
            values = template.with_context(lang=partner.lang)._generate_template(
                document.ids, ("subject", "body_html", "email_from")
            )[document.id]
            self.env["mail.mail"].create(
                {
                    "subject": values["subject"],
                    "body_html": values["body_html"],
                    "email_from": values.get("email_from") or self.company_id.email_formatted,
                    "recipient_ids": [Command.set(partner.ids)],
                    "auto_delete": True,
                }
            )
        return self.env["mail.message"]
