import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

WALLET_REFERENCE_PREFIX = "WALLET"


class PaymentTransaction(models.Model):
    """Card payments of the WISP suite on top of Odoo's payment framework.

    * Invoice payment: a transaction linked to invoices (``invoice_ids``); ``account_payment``
      creates the ``account.payment`` and reconciles it with the invoices when the transaction
      is confirmed, which fires ``account.move._invoice_paid_hook`` (service reactivation).
    * Wallet top-up: a transaction linked to no invoice, flagged ``wisp_wallet_topup`` and
      referenced ``WALLET-<account>``; its ``account.payment`` stays unreconciled, i.e. it is
      customer credit, which is what the wallet balance reads.
    * Autopay: a transaction made by the autopay cron from the subscriber's saved token
      (``offline`` operation), flagged ``wisp_autopay``; its outcome drives the retry schedule
      of the invoice (see the autopay section of ``account_move.py``).
    * Access code purchase: a transaction on the invoice of a ``wisp.voucher.purchase``; once
      it is confirmed and booked, the invoice's paid hook delivers the code (``account_move.py``),
      as it does for an invoice paid any other way.
    * Chargeback: ``_wisp_register_dispute`` reverses the booked payment.

    A transaction books at most one ``account.payment``: ``_create_payment`` locks the
    transaction row and returns the existing payment when another process booked it first.
    """

    _name = "payment.transaction"
    _inherit = ["payment.transaction", "wisp.protected.fields.mixin"]

    wisp_wallet_topup = fields.Boolean(
        string="Wallet Top-up",
        readonly=True,
        copy=False,
        help="The amount goes to the subscriber's wallet (customer credit), not to an invoice.",
    )
    wisp_autopay = fields.Boolean(
        string="Autopay Charge",
        readonly=True,
        copy=False,
        help="Charged automatically from the saved card on the invoice due date.",
    )
    wisp_voucher_purchase_id = fields.Many2one(
        "wisp.voucher.purchase",
        string="Access Code Purchase",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The online purchase of an access code this transaction pays (with its invoice).",
    )
    wisp_dispute_ref = fields.Char(
        string="Dispute Reference",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Reference of the dispute (chargeback) opened by the card holder at the provider.",
    )
    wisp_dispute_move_id = fields.Many2one(
        "account.move",
        string="Chargeback Entry",
        readonly=True,
        copy=False,
        help="Journal entry reversing the payment after the chargeback.",
    )

    @api.model
    def _wisp_field_write_groups(self):
        # What a transaction pays and its chargeback are set by the code that creates or
        # books it; the billing clerk (Invoicing rights) edits transactions otherwise.
        return {
            **super()._wisp_field_write_groups(),
            **dict.fromkeys(
                (
                    "wisp_wallet_topup",
                    "wisp_autopay",
                    "wisp_voucher_purchase_id",
                    "wisp_dispute_ref",
                    "wisp_dispute_move_id",
                ),
                (),
            ),
        }

    @api.constrains("wisp_wallet_topup", "invoice_ids")
    def _check_wisp_wallet_topup(self):
        for tx in self:
            if tx.wisp_wallet_topup and tx.invoice_ids:
                raise ValidationError(
                    self.env._(
                        "A wallet top-up cannot be linked to invoices (%(ref)s).", ref=tx.reference
                    )
                )

    # ------------------------------------------------------------------
    # References
    # ------------------------------------------------------------------
    @api.model
    def _compute_reference_prefix(self, separator, **values):
        """Wallet top-ups are referenced ``WALLET-<account id>`` (then ``-1``, ``-2``...)."""
        if values.get("wisp_wallet_topup") and values.get("partner_id"):
            partner = self.env["res.partner"].browse(values["partner_id"]).commercial_partner_id
            return f"{WALLET_REFERENCE_PREFIX}{separator}{partner.id}"
        return super()._compute_reference_prefix(separator, **values)

    # ------------------------------------------------------------------
    # Wallet top-up
    # ------------------------------------------------------------------
    @api.model
    def _wisp_wallet_topup_transaction(
        self, partner, amount, *, provider=None, token=None, payment_method=None, operation=None
    ):
        """Create (and, with a saved token, charge) a card transaction topping up the wallet.

        Without a token the transaction is returned in draft for a payment form to process
        (portal flow). With a token it is charged at once and, when the provider confirms it,
        booked: the ``account.payment`` it creates stays unreconciled, so the customer's credit
        (the wallet balance) grows by ``amount``.

        :param res.partner partner: the subscriber (its commercial partner owns the wallet)
        :param float amount: strictly positive amount, in the company currency
        :param payment.provider provider: the provider (optional with a token)
        :param payment.token token: a saved card of the subscriber
        :param payment.method payment_method: defaults to the token's or the provider's first
        :param str operation: defaults to ``online_token`` with a token, else ``online_direct``
        :return: the transaction
        :rtype: payment.transaction
        """
        partner.ensure_one()
        commercial = partner.commercial_partner_id
        token = token or self.env["payment.token"]
        if amount <= 0:
            raise UserError(self.env._("A wallet top-up must be a positive amount."))
        if token:
            token = token.sudo()
            if token.partner_id.commercial_partner_id != commercial or not token.active:
                raise UserError(
                    self.env._(
                        "This saved card does not belong to %(partner)s.",
                        partner=commercial.display_name,
                    )
                )
            provider = token.provider_id
        if not provider:
            raise UserError(self.env._("Choose a payment provider for the top-up."))
        provider = provider.sudo()
        payment_method = (
            payment_method
            or token.payment_method_id
            or provider.payment_method_ids.filtered("active")[:1]
        )
        if not payment_method:
            raise UserError(
                self.env._(
                    "The provider %(provider)s has no active payment method.",
                    provider=provider.name,
                )
            )
        company = provider.company_id
        tx = self.sudo().create(
            {
                "provider_id": provider.id,
                "payment_method_id": payment_method.id,
                "amount": company.currency_id.round(amount),
                "currency_id": company.currency_id.id,
                "partner_id": commercial.id,
                "token_id": token.id if token else False,
                "operation": operation or ("online_token" if token else "online_direct"),
                "wisp_wallet_topup": True,
            }
        )
        if token:
            tx._charge_with_token()
            tx._wisp_post_process_now()
        return tx

    # ------------------------------------------------------------------
    # Booking
    # ------------------------------------------------------------------
    def _wisp_post_process_now(self):
        """Book the final transactions of ``self`` now instead of waiting for the cron."""
        to_process = self.filtered(
            lambda tx: not tx.is_post_processed and tx.state in ("done", "cancel", "error")
        )
        if to_process:
            to_process._post_process()

    def _post_process(self):
        """Drive the autopay schedule of the invoices from the outcome of their charge,
        and tell the subscriber of a booked wallet top-up."""
        autopay_txs = self.filtered(lambda tx: tx.wisp_autopay and not tx.is_post_processed)
        topup_txs = self.filtered(lambda tx: tx.wisp_wallet_topup and not tx.is_post_processed)
        res = super()._post_process()
        booked = topup_txs.filtered(lambda tx: tx.state == "done" and tx.payment_id)
        if booked:
            self.env["wisp.message"].sudo()._queue_batch(
                "wallet_topup", [(tx.payment_id, tx.partner_id, "") for tx in booked]
            )
        for tx in autopay_txs:
            invoices = tx.invoice_ids.filtered(lambda inv: inv.state == "posted")
            if tx.state == "done":
                invoices._wisp_autopay_succeeded(tx)
            elif tx.state in ("error", "cancel"):
                invoices._wisp_autopay_failed(tx)
        return res

    def _create_payment(self, **extra_create_values):
        """Book one payment per transaction, whoever confirms it and however often.

        The post-processing may run concurrently (customer polling the status page, webhook,
        post-processing cron): the transaction row is locked and re-read, and a payment booked
        meanwhile is returned instead of a second one.
        """
        self.ensure_one()
        # waits for the other post-processing to commit, then reads its payment:
        # lock_for_update() would fail instead of waiting
        self.env.cr.execute(
            SQL("SELECT payment_id FROM payment_transaction WHERE id = %s FOR UPDATE", self.id)
        )
        self.invalidate_recordset(["payment_id"])
        if self.payment_id:
            _logger.info(
                "Transaction %s is already booked as %s; not booking it twice.",
                self.reference,
                self.payment_id.name,
            )
            return self.payment_id
        if self.wisp_wallet_topup:
            extra_create_values.setdefault(
                "memo", self.env._("Wallet top-up %(ref)s", ref=self.reference)
            )
        return super()._create_payment(**extra_create_values)

    # ------------------------------------------------------------------
    # Chargeback
    # ------------------------------------------------------------------
    def _wisp_register_dispute(self, dispute_ref, amount=None, reason=None):
        """The card holder disputed this payment: reverse it, reopen what it paid, flag.

        The payment's journal entry is reversed (a real reversing entry, reconciled with the
        original one), so the invoices it paid are open again, or the wallet credit it gave is
        gone; the payment is marked rejected. The subscriber is flagged and the chatter tells
        why. A dispute already registered is ignored, so a replayed event does nothing twice.
        A partial dispute is not booked automatically: the billing team gets an activity.

        :param str dispute_ref: the provider's dispute id
        :param float amount: the disputed amount (defaults to the transaction amount)
        :param str reason: the provider's dispute reason
        :return: whether the dispute was registered now
        :rtype: bool
        """
        self.ensure_one()
        # a replayed webhook waits here, then sees the dispute registered
        self.env.cr.execute(
            SQL(
                "SELECT wisp_dispute_ref FROM payment_transaction WHERE id = %s FOR UPDATE", self.id
            )
        )
        self.invalidate_recordset(["wisp_dispute_ref", "payment_id"])
        if self.wisp_dispute_ref:
            _logger.info(
                "Dispute %s of transaction %s already registered; ignored.",
                dispute_ref,
                self.reference,
            )
            return False
        if self.state == "done" and not self.payment_id:
            self._wisp_post_process_now()  # Book it first, then reverse it.
        payment = self.payment_id
        commercial = self.partner_id.commercial_partner_id
        amount = self.amount if amount is None else amount
        full = not self.currency_id.compare_amounts(amount, self.amount)
        values = {"wisp_dispute_ref": dispute_ref}
        invoices = self.env["account.move"]
        if payment and full and payment.state not in ("canceled", "rejected"):
            invoices = payment.reconciled_invoice_ids | self.invoice_ids
            reversal = payment.move_id._reverse_moves(
                [
                    {
                        "date": fields.Date.context_today(self),
                        "ref": self.env._(
                            "Chargeback %(dispute)s of %(payment)s",
                            dispute=dispute_ref,
                            payment=payment.name,
                        ),
                    }
                ],
                cancel=True,
            )
            self.env.flush_all()
            payment.action_reject()
            values["wisp_dispute_move_id"] = reversal.id
        self.write(values)
        commercial.wisp_payment_flagged = True

        body = Markup("%s") % self.env._(
            "Card payment %(ref)s of %(amount)s disputed by the card holder (%(dispute)s, "
            "reason: %(reason)s).",
            ref=self.reference,
            amount=self.currency_id.format(amount),
            dispute=dispute_ref,
            reason=reason or self.env._("not given"),
        )
        if "wisp_dispute_move_id" in values:
            body += Markup("<br/>") + self.env._(
                "The payment %(payment)s is reversed; the invoices it paid are open again.",
                payment=payment.name,
            )
        else:
            body += Markup("<br/>") + self.env._(
                "Nothing was reversed automatically: check the payment and book the chargeback."
            )
            commercial.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Card payment disputed"),
                note=body,
            )
        for records in (commercial, payment, invoices):
            for record in records:
                record.message_post(body=body)
        return True
