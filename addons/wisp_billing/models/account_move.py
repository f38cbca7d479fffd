import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.addons.account.models.account_move import PAYMENT_STATE_SELECTION
from odoo.addons.wisp_subscriber.tools.access import BILLING, check_groups
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone
from odoo.exceptions import UserError
from odoo.tools import create_index

_logger = logging.getLogger(__name__)
PORTAL = "base.group_portal"

SETTLED_STATES = ("paid", "in_payment", "reversed")
# the others, spelled out so that a query can use the index of open invoices below
OPEN_PAYMENT_STATES = tuple(
    state for state, _label in PAYMENT_STATE_SELECTION if state not in SETTLED_STATES
)
# Transactions of an invoice that mean "a charge is already on its way".
IN_FLIGHT_STATES = ("pending", "authorized")


def parse_retry_days(value):
    """``"1,3,5"`` -> ``[1, 3, 5]``: positive day offsets, sorted, invalid parts ignored."""
    days = set()
    for raw in (value or "").split(","):
        part = raw.strip()
        if part.isdigit() and int(part) > 0:
            days.add(int(part))
    return sorted(days)


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "wisp.protected.fields.mixin"]

    wisp_cycle_start = fields.Date(string="Cycle Start", readonly=True, copy=False)
    wisp_cycle_end = fields.Date(string="Cycle End", readonly=True, copy=False)
    wisp_reminder_sent = fields.Boolean(readonly=True, copy=False)
    wisp_reminder_date = fields.Date(string="Reminded On", readonly=True, copy=False)
    wisp_blocked_service_ids = fields.Many2many(
        "wisp.service",
        "account_move_wisp_blocked_service_rel",
        "move_id",
        "service_id",
        string="Services Blocked",
        readonly=True,
        copy=False,
        help="Services restricted or suspended because this invoice is overdue; "
        "they are reactivated the moment it is paid.",
    )
    wisp_wallet_kind = fields.Selection(
        [
            ("promo", "Promotional Credit"),
            ("compensation", "Compensation"),
            ("gift_card", "Gift Card"),
        ],
        string="Wallet Credit",
        readonly=True,
        copy=False,
    )

    def init(self):
        result = super().init()
        # open customer invoices by due date: the dunning work list and the
        # dashboard's overdue figures read these among all the paid ones
        create_index(
            self.env.cr,
            "account_move_wisp_open_invoice_idx",
            self._table,
            ["company_id", "invoice_date_due"],
            where="move_type = 'out_invoice' AND state = 'posted' "
            f"AND payment_state IN ({', '.join(repr(s) for s in OPEN_PAYMENT_STATES)})",
        )
        return result

    # -------------------------------------------------------------------------
    # Reactivation: any way an invoice gets paid ends up reconciling it, and
    # account calls this hook in that same transaction.
    # -------------------------------------------------------------------------
    def _invoice_paid_hook(self):
        """However the invoices got paid (card, bank reconciliation, wallet), in that
        transaction; each feature reacts in its own method."""
        res = super()._invoice_paid_hook()
        self._wisp_release_blocked_services()
        self._wisp_announce_payment()
        self._wisp_deliver_access_codes()
        self._wisp_reward_referrals()
        return res

    def _wisp_announce_payment(self):
        """The subscriber's *payment received* message and the *invoice.paid* webhook."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        invoices._wisp_queue_message("payment_received")
        invoices._wisp_queue_webhook("invoice.paid")

    def _wisp_deliver_access_codes(self):
        """Deliver the access codes bought online with these invoices, once: see
        wisp.voucher.purchase._wisp_deliver."""
        self.env["wisp.voucher.purchase"].sudo().search(
            [("invoice_id", "in", self.ids), ("state", "in", ("draft", "paid"))]
        )._wisp_deliver()

    def _wisp_reward_referrals(self):
        """A referred subscriber's paid invoice may earn its referrer the reward."""
        referred = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.commercial_partner_id.wisp_referred_by_id
        )
        if referred:
            referred.commercial_partner_id._wisp_reward_referral()

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))._wisp_queue_webhook(
            "invoice.issued"
        )
        return posted

    def _wisp_queue_webhook(self, code):
        """Queue webhook event ``code`` for these invoices (see wisp.webhook.delivery)."""
        if self:
            self.env["wisp.webhook.delivery"]._queue(
                code, [(invoice.company_id, invoice._wisp_webhook_data()) for invoice in self]
            )

    def _wisp_webhook_data(self):
        """The invoice as a third party sees it in a webhook: totals, not lines."""
        self.ensure_one()
        invoice = self.sudo()
        return {
            "invoice": invoice.name,
            "move_type": invoice.move_type,
            "subscriber_code": invoice.commercial_partner_id.subscriber_code or None,
            "invoice_date": invoice.invoice_date,
            "due_date": invoice.invoice_date_due,
            "currency": invoice.currency_id.name,
            "amount_total": invoice.amount_total,
            "amount_residual": invoice.amount_residual,
            "payment_state": invoice.payment_state,
        }

    def _wisp_queue_message(self, code, key=""):
        """Tell each invoice's customer about event ``code`` (see wisp.message)."""
        self.env["wisp.message"].sudo()._queue_batch(
            code, [(invoice, invoice.partner_id, key) for invoice in self]
        )

    def _wisp_release_blocked_services(self):
        # The accountant reconciling a bank statement need not be WISP staff.
        invoices = self.sudo().filtered("wisp_blocked_service_ids")
        if not invoices:
            return
        blocked = invoices.wisp_blocked_service_ids
        invoices.wisp_blocked_service_ids = [Command.clear()]
        # A service overdue on another invoice too stays blocked for that one.
        to_reactivate = blocked.filtered(
            lambda s: s.state in ("restricted", "suspended") and not s.blocking_invoice_ids
        )
        if not to_reactivate:
            return
        # the subscriber hears "payment received" and "access restored" (the outbox)
        to_reactivate.action_reactivate()

    # -------------------------------------------------------------------------
    # Dunning
    # -------------------------------------------------------------------------
    def _wisp_open_recurring_invoices(self, company):
        return self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "not in", SETTLED_STATES),
                ("wisp_cycle_start", "!=", False),
                ("company_id", "=", company.id),
            ]
        )

    @api.model
    def _cron_wisp_dunning(self):
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            self.with_company(company)._wisp_dunning(company, today)

    def _wisp_dunning(self, company, today):
        """Remind before the due date; after the grace period restrict or
        suspend the services the overdue invoice bills. Each invoice on its own: one that
        fails is reported on it and tried again the next day."""
        invoices = self._wisp_open_recurring_invoices(company)
        remind_from = today + timedelta(days=company.wisp_reminder_days)
        # not on the day it is issued: the "invoice issued" message tells the due date
        to_remind = invoices.filtered(
            lambda m: (
                not m.wisp_reminder_sent
                and m.invoice_date < today <= m.invoice_date_due <= remind_from
            )
        )
        each_alone(
            to_remind,
            lambda invoice: invoice._wisp_send_reminder(),
            self.env._("Payment reminder failed"),
        )
        grace_limit = today - timedelta(days=company.wisp_grace_days)
        overdue = invoices.filtered(lambda m: m.invoice_date_due < grace_limit)
        each_alone(
            overdue,
            lambda invoice: invoice._wisp_hold_services(company.wisp_overdue_action),
            self.env._("Dunning failed"),
        )

    def _wisp_send_reminder(self):
        """Queue the payment reminder of these invoices (once a day at most)."""
        today = fields.Date.context_today(self)
        self._wisp_queue_message("payment_reminder", key=today.isoformat())
        self.sudo().write({"wisp_reminder_sent": True, "wisp_reminder_date": today})

    def _wisp_hold_services(self, action):
        """Restrict or suspend (``action``) the running services this overdue invoice bills."""
        # Every running service the invoice bills is held by it, also one already
        # blocked by an older invoice: paying that one alone must not release it.
        held = (
            self.invoice_line_ids.wisp_service_id.filtered(
                lambda s: s.state in ("active", "restricted", "suspended")
            )
            - self.wisp_blocked_service_ids
        )
        if held:
            self.sudo().wisp_blocked_service_ids = [Command.link(s.id) for s in held]
        blockable = ("active",) if action == "restrict" else ("active", "restricted")
        services = held.filtered(lambda s: s.state in blockable)
        if not services:
            return
        reason = self.env._("Invoice %(invoice)s overdue", invoice=self.name)
        # the subscriber is told by the life cycle, naming this invoice
        # (wisp.service._wisp_state_message)
        getattr(services.sudo(), f"action_{action}")(reason=reason)
        _logger.info("Dunning: %s %s for %s", action, services.ids, self.name)

    # -------------------------------------------------------------------------
    # Wallet
    # -------------------------------------------------------------------------
    def _wisp_apply_wallet(self):
        """Pay these invoices from their accounts' wallet credit, oldest first.

        The account row is locked first so two applications at once cannot
        spend the same credit; reconciliation never takes more than a credit
        line holds, so the wallet cannot go below zero.
        """
        invoices = self.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state not in SETTLED_STATES
            )
        )
        if not invoices:
            return 0.0
        invoices.commercial_partner_id._wisp_lock()
        applied = 0.0
        for invoice in invoices:
            receivable = invoice.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            )
            for credit in invoice.commercial_partner_id._wisp_wallet_credit_lines():
                if not receivable or receivable.reconciled:
                    break
                if credit.account_id != receivable.account_id:
                    continue
                before = invoice.amount_residual
                (credit | receivable).reconcile()
                applied += before - invoice.amount_residual
        return applied

    def action_wisp_apply_wallet(self):
        # the subscriber (portal) on its own invoices, the billing clerk on any; support
        # reads invoices but moves no money
        check_groups(self.env, (BILLING, PORTAL))
        # checked, not left to the fields read next: those may already sit in the cache
        self.check_access("read")
        if not self.commercial_partner_id.wisp_wallet_balance:
            raise UserError(self.env._("The subscriber has no wallet balance to apply."))
        self._wisp_apply_wallet()
        return True

    # -------------------------------------------------------------------------
    # Report helpers
    # -------------------------------------------------------------------------
    def _wisp_installment_progress(self):
        """Installment plans billed on this invoice with their progress."""
        self.ensure_one()
        return self.invoice_line_ids.wisp_installment_id

    # -------------------------------------------------------------------------
    # Autopay: charge the subscriber's saved card on the due date, retry on a schedule.
    # The daily cron charges every posted, unpaid customer invoice due today or earlier whose
    # subscriber (commercial partner) enabled autopay with a saved token. A failed charge is
    # retried on the company's ``wisp_autopay_retry_days`` schedule counted from the first
    # failure ("1,3,5": one, three and five days after it), each failure is mailed to the
    # subscriber and leaves an activity to the billing team; after the last retry autopay stops
    # for that invoice (dunning goes on as for any unpaid invoice).

    wisp_autopay_attempts = fields.Integer(
        string="Failed Autopay Charges",
        readonly=True,
        copy=False,
    )
    wisp_autopay_first_failure = fields.Date(
        string="First Autopay Failure",
        readonly=True,
        copy=False,
    )
    wisp_autopay_next_date = fields.Date(
        string="Next Autopay Retry",
        readonly=True,
        copy=False,
        help="The autopay cron charges the saved card again on this day.",
    )
    wisp_autopay_stopped = fields.Boolean(
        string="Autopay Stopped",
        readonly=True,
        copy=False,
        help="Every scheduled retry failed: the card is no longer charged for this invoice.",
    )

    @api.model
    def _wisp_field_write_groups(self):
        # The dunning and autopay state of an invoice is the crons' and the wallet's own;
        # the billing clerk, who edits invoices, may stop autopay on one.
        return {
            **super()._wisp_field_write_groups(),
            **dict.fromkeys(
                (
                    "wisp_reminder_sent",
                    "wisp_reminder_date",
                    "wisp_blocked_service_ids",
                    "wisp_wallet_kind",
                    "wisp_autopay_attempts",
                ),
                (),
            ),
            "wisp_autopay_stopped": (BILLING,),
        }

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------
    @api.model
    def _wisp_autopay_domain(self, today):
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<=", today),
            ("commercial_partner_id.wisp_autopay", "=", True),
            ("commercial_partner_id.wisp_autopay_token_id", "!=", False),
            # a chargeback flags the account: never charge that card again by itself
            ("commercial_partner_id.wisp_payment_flagged", "=", False),
            # recurring invoices only: an open card checkout (e.g. an access code) is not
            # the subscriber's to be charged automatically
            ("wisp_cycle_start", "!=", False),
            ("wisp_autopay_stopped", "=", False),
            "|",
            ("wisp_autopay_next_date", "=", False),
            ("wisp_autopay_next_date", "<=", today),
        ]

    @api.model
    def _cron_wisp_autopay(self, limit=None):
        """Charge the saved cards of the invoices due for autopay (daily cron).

        Run as a cron, every charge is committed on its own (the transaction is committed
        before the provider is called, see ``_wisp_autopay_charge``), so a crash never loses
        a charge that the provider made.
        """
        today = fields.Date.context_today(self)
        invoices = self.search(
            self._wisp_autopay_domain(today), order="invoice_date_due, id", limit=limit
        )
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=len(invoices))
        charged = self.env["payment.transaction"]
        for invoice in invoices:
            charged |= invoice._wisp_autopay_charge()
            if in_cron and not self.env["ir.cron"]._commit_progress(1):
                break  # Out of time: the cron is triggered again for the rest.
        return charged

    # ------------------------------------------------------------------
    # Charge
    # ------------------------------------------------------------------
    def _wisp_autopay_token(self):
        """The saved card to charge for this invoice, or an empty recordset."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        token = commercial.wisp_autopay_token_id.sudo()
        if (
            not commercial.wisp_autopay
            or not token.active
            or token.partner_id.commercial_partner_id != commercial
            or token.provider_id.state == "disabled"
            or token.provider_id.company_id != self.company_id
        ):
            return self.env["payment.token"]
        return token

    def _wisp_autopay_lock(self):
        """Lock this invoice for charging; False when another worker holds it."""
        self.ensure_one()
        return bool(self.try_lock_for_update())

    def _wisp_autopay_in_flight(self):
        """Transactions of this invoice that may still take (or have taken) the money."""
        self.ensure_one()
        return self.sudo().transaction_ids.filtered(
            lambda tx: (
                tx.state in IN_FLIGHT_STATES
                or (tx.state == "done" and not tx.payment_id and tx.operation != "validation")
                or (tx.state == "draft" and tx.wisp_autopay)
            )
        )

    def _wisp_autopay_charge(self):
        """Charge the saved card for the residual amount of this invoice.

        Never two charges at once: the invoice row is locked (a second worker skips it), and an
        invoice with a pending/authorized transaction, or a confirmed one not booked yet, is not
        charged again. A draft autopay transaction left by a crash is sent again rather than
        replaced: providers deduplicate on its reference (Stripe idempotency key).

        :return: the transaction charged, or an empty recordset
        :rtype: payment.transaction
        """
        self.ensure_one()
        Tx = self.env["payment.transaction"].sudo()
        if not self._wisp_autopay_lock():
            _logger.info("Invoice %s is being charged by another worker; skipped.", self.name)
            return Tx
        self.invalidate_recordset(["payment_state", "amount_residual"])
        if self.payment_state not in ("not_paid", "partial") or self.state != "posted":
            return Tx
        token = self._wisp_autopay_token()
        if not token:
            return Tx
        in_flight = self._wisp_autopay_in_flight()
        draft = in_flight.filtered(lambda tx: tx.state == "draft")
        if in_flight - draft:
            _logger.info(
                "Invoice %s has a charge in progress (%s); not charged again.",
                self.name,
                ", ".join((in_flight - draft).mapped("reference")),
            )
            return Tx
        tx = draft[:1]
        if not tx:
            tx = Tx.create(
                {
                    "provider_id": token.provider_id.id,
                    "payment_method_id": token.payment_method_id.id,
                    "amount": self.amount_residual,
                    "currency_id": self.currency_id.id,
                    "partner_id": self.partner_id.id,
                    "token_id": token.id,
                    "operation": "offline",
                    "invoice_ids": [Command.set(self.ids)],
                    "wisp_autopay": True,
                }
            )
            if self.env.context.get("ir_cron_progress_id"):
                # Keep the transaction whatever happens next, before the provider charges;
                # the commit releases the lock, take it again before charging.
                self.env["ir.cron"]._commit_progress()
                if not self._wisp_autopay_lock():
                    return Tx
        tx._charge_with_token()
        if tx.state == "draft" and tx.provider_reference:
            # The provider answered but wants the card holder (e.g. 3-D Secure): an
            # off-session charge cannot go on; the subscriber must pay online.
            tx._set_error(
                self.env._("The bank asks the card holder to confirm this payment online.")
            )
        try:
            with self.env.cr.savepoint():
                tx._wisp_post_process_now()
        except Exception:
            # The charge stands; Odoo's post-processing cron books it later. The next
            # invoices are charged meanwhile.
            _logger.exception("Autopay charge %s of %s not booked yet.", tx.reference, self.name)
        return tx

    # ------------------------------------------------------------------
    # Outcome (called from payment.transaction._post_process)
    # ------------------------------------------------------------------
    def _wisp_autopay_succeeded(self, tx):
        # autopay's own state, whoever's post-processing confirmed the charge
        self.sudo().write(
            {
                "wisp_autopay_attempts": 0,
                "wisp_autopay_first_failure": False,
                "wisp_autopay_next_date": False,
                "wisp_autopay_stopped": False,
            }
        )
        self.activity_feedback(
            ["wisp_billing.mail_activity_type_autopay_failed"],
            feedback=self.env._("Paid by the saved card (%(ref)s).", ref=tx.reference),
        )

    def _wisp_autopay_failed(self, tx):
        """Count the failure, schedule the next retry (or stop), tell the subscriber."""
        today = fields.Date.context_today(self)
        for invoice in self:
            schedule = parse_retry_days(invoice.company_id.wisp_autopay_retry_days)
            attempts = invoice.wisp_autopay_attempts + 1
            first_failure = invoice.wisp_autopay_first_failure or today
            next_date = False
            if attempts <= len(schedule):
                next_date = max(
                    first_failure + timedelta(days=schedule[attempts - 1]),
                    today + timedelta(days=1),
                )
            invoice.sudo().write(
                {
                    "wisp_autopay_attempts": attempts,
                    "wisp_autopay_first_failure": first_failure,
                    "wisp_autopay_next_date": next_date,
                    "wisp_autopay_stopped": not next_date,
                }
            )
            invoice._wisp_autopay_notify_failure(tx)

    def _wisp_autopay_notify_failure(self, tx):
        self.ensure_one()
        # once per declined charge, whoever post-processes it
        self._wisp_queue_message("autopay_failed", key=tx.reference)
        if self.wisp_autopay_next_date:
            summary = self.env._(
                "Autopay failed, retry on %(date)s", date=self.wisp_autopay_next_date
            )
        else:
            summary = self.env._("Autopay failed, no retry left")
        note = self.env._(
            "The saved card of %(partner)s was declined for %(amount)s (%(ref)s): %(reason)s",
            partner=self.commercial_partner_id.display_name,
            amount=tx.currency_id.format(tx.amount),
            ref=tx.reference,
            reason=tx.state_message or self.env._("no reason given"),
        )
        activity_type = "wisp_billing.mail_activity_type_autopay_failed"
        existing = self.activity_ids.filtered(
            lambda act: act.activity_type_id == self.env.ref(activity_type)
        )
        if existing:
            existing.write({"summary": summary, "note": note})
        else:
            self.activity_schedule(
                activity_type,
                summary=summary,
                note=note,
                user_id=(self.invoice_user_id or self.env.user).id,
            )
