import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import MANAGER
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PURCHASE_STATES = [
    ("draft", "Waiting for Payment"),
    ("paid", "Paid"),
    ("delivered", "Delivered"),
    ("cancelled", "Cancelled"),
]
# A code sold online must stay redeemable for a while after the sale.
ONLINE_MIN_VALIDITY_DAYS = 7
# Checkouts left unpaid this long are cancelled (their invoice too).
ABANDONED_AFTER_HOURS = 48
LIVE_TX_STATES = ("pending", "authorized", "done")


class WispVoucherPurchase(models.Model):
    """An access code bought online by card.

    The purchase makes a posted customer invoice for the plan; the card payment is an
    ordinary ``payment.transaction`` on that invoice, so Odoo's post-processing books and
    reconciles the ``account.payment``. When the payment is confirmed and booked (invoice
    paid), :meth:`_wisp_deliver` hands out one code, once: from the WISP's own stock for the
    plan, else generated in the plan's "Online sales" batch; the sale is recorded and the
    code mailed to the buyer.
    """

    _name = "wisp.voucher.purchase"
    _description = "Access Code Purchase"
    _inherit = ["portal.mixin", "mail.thread", "wisp.protected.fields.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Buyer", required=True, readonly=True, index=True, tracking=True
    )
    email = fields.Char(related="partner_id.email")
    plan_id = fields.Many2one(
        "product.product",
        required=True,
        readonly=True,
        domain="[('is_wisp_plan', '=', True), ('is_prepaid', '=', True)]",
    )
    amount = fields.Monetary(readonly=True, help="Invoice total, taxes included.")
    state = fields.Selection(
        PURCHASE_STATES, default="draft", required=True, readonly=True, index=True, tracking=True
    )
    voucher_id = fields.Many2one("wisp.voucher", readonly=True, copy=False)
    invoice_id = fields.Many2one("account.move", readonly=True, copy=False)
    payment_state = fields.Selection(related="invoice_id.payment_state", string="Payment Status")
    transaction_ids = fields.One2many(
        "payment.transaction", "wisp_voucher_purchase_id", string="Transactions", readonly=True
    )
    delivered_date = fields.Datetime(readonly=True, copy=False)
    generated_batch_id = fields.Many2one(
        "wisp.voucher.batch",
        string="Generated In",
        readonly=True,
        copy=False,
        help="Set when no code was in stock: the code was generated in this online batch.",
    )

    # -------------------------------------------------------------------------
    # Portal
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_field_write_groups(self):
        # Made by the checkout and moved by payment and delivery, all as superuser: billing
        # staff, who may write purchases for their buttons, cannot rewrite them over RPC.
        protected = dict.fromkeys(
            (
                "name",
                "company_id",
                "partner_id",
                "plan_id",
                "amount",
                "state",
                "voucher_id",
                "invoice_id",
                "transaction_ids",
                "delivered_date",
                "generated_batch_id",
            ),
            (MANAGER,),
        )
        return {**super()._wisp_field_write_groups(), **protected}

    def _compute_access_url(self):
        for purchase in self:
            purchase.access_url = f"/hotspot/purchase/{purchase.id}"

    def _wisp_landing_url(self):
        self.ensure_one()
        return f"{self.access_url}?access_token={self._portal_ensure_token()}"

    def _wisp_awaiting_confirmation(self):
        """Paid at the provider, or being paid, but not delivered yet."""
        self.ensure_one()
        return self.state == "paid" or (
            self.state == "draft" and any(tx.state in LIVE_TX_STATES for tx in self.transaction_ids)
        )

    # -------------------------------------------------------------------------
    # Checkout
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_online_plans(self, company=None):
        """Plans sold online: prepaid WISP plans that can be sold, with a price."""
        company = company or self.env.company
        return (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("is_wisp_plan", "=", True),
                    ("is_prepaid", "=", True),
                    ("sale_ok", "=", True),
                    ("list_price", ">", 0),
                    ("company_id", "in", (False, company.id)),
                ],
                order="list_price, id",
            )
        )

    @api.model
    def _wisp_create_purchase(self, plan, partner=None, name=None, email=None, company=None):
        """A purchase of ``plan`` with its posted invoice, ready to be paid.

        :param partner: the logged-in buyer; without one, a new anonymous prepaid account is
            made from ``name`` and ``email`` (never matched to an existing partner by e-mail).
        """
        company = company or self.env.company
        if plan not in self._wisp_online_plans(company):
            raise UserError(self.env._("This plan is not sold online."))
        if not partner:
            if not (name and email):
                raise UserError(self.env._("Give your name and e-mail address."))
            partner = (
                self.env["res.partner"]
                .sudo()
                .create({"name": name, "email": email, "wisp_anonymous_prepaid": True})
            )
        account = partner.commercial_partner_id
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": account.id,
                    "invoice_date": fields.Date.context_today(self),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": plan.id,
                                "name": self.env._("Access code: %(plan)s", plan=plan.name),
                                "quantity": 1,
                                "price_unit": plan.lst_price,
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        purchase = self.sudo().create(
            {
                "name": self.env["ir.sequence"].sudo().next_by_code("wisp.voucher.purchase") or "/",
                "company_id": company.id,
                "partner_id": partner.id,
                "plan_id": plan.id,
                "amount": invoice.amount_total,
                "invoice_id": invoice.id,
            }
        )
        invoice.ref = purchase.name
        purchase._portal_ensure_token()
        return purchase

    # -------------------------------------------------------------------------
    # Delivery
    # -------------------------------------------------------------------------
    def _wisp_lock(self):
        # waits for the other delivery to commit, then sees it delivered: Odoo's
        # lock_for_update() would skip the row instead of waiting
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT id FROM wisp_voucher_purchase WHERE id IN %s FOR UPDATE", tuple(self.ids))
        )
        self.invalidate_recordset()

    def _wisp_deliver(self, raise_errors=False):
        """Deliver the code of each paid purchase, exactly once.

        Called by the post-processing of the card transaction (status page, webhook or cron,
        maybe concurrently or twice): the purchase row is locked and its state re-read, so a
        second call finds it delivered. A purchase is paid when its invoice is. A code that
        cannot be handed out (e.g. the plan is no longer prepaid) leaves the purchase paid,
        with a note for the billing team: it never blocks the booking of the payment.
        """
        delivered = self.browse()
        for purchase in self.sudo():
            purchase._wisp_lock()
            if purchase.state not in ("draft", "paid"):
                continue
            purchase.invoice_id.invalidate_recordset(["payment_state"])
            if purchase.invoice_id.payment_state not in ("paid", "in_payment"):
                continue
            purchase.state = "paid"
            try:
                with self.env.cr.savepoint():
                    purchase._wisp_hand_out()
            except (UserError, ValidationError) as error:
                if raise_errors:
                    raise
                _logger.warning("Access code purchase %s not delivered: %s", purchase.name, error)
                purchase.message_post(
                    body=self.env._(
                        "Paid, but no code could be delivered: %(error)s. Fix the cause, then "
                        "use Deliver Code.",
                        error=error.args[0],
                    )
                )
                continue
            delivered |= purchase
        return delivered

    def _wisp_hand_out(self):
        """Take a code, record its sale, send it to the buyer."""
        self.ensure_one()
        voucher = self._wisp_take_voucher()
        voucher._wisp_record_sales(price=self.amount)
        self.write(
            {
                "voucher_id": voucher.id,
                "state": "delivered",
                "delivered_date": fields.Datetime.now(),
            }
        )
        # to the buyer only (the code is a secret), once however often this runs
        self.env["wisp.message"].sudo()._queue("access_code_bought", self, self.partner_id)
        self.message_post(
            body=self.env._(
                "Paid by %(ref)s; access code delivered to %(email)s.",
                ref=self.invoice_id.name,
                email=self.partner_id.email or self.partner_id.display_name,
            )
        )

    def _wisp_take_voucher(self):
        """A code in the WISP's own stock for the plan, else one generated on demand.

        Stock: state new, no reseller, batch generated and sellable today, redeemable for at
        least ``ONLINE_MIN_VALIDITY_DAYS`` more days; the oldest use-by first. ``SKIP LOCKED``
        lets concurrent deliveries take different codes without waiting on each other.
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT v.id FROM wisp_voucher v
                  JOIN wisp_voucher_batch b ON b.id = v.batch_id
                 WHERE v.state = 'new' AND v.reseller_id IS NULL AND b.reseller_id IS NULL
                   AND b.state = 'generated' AND b.plan_id = %(plan)s AND b.company_id = %(company)s
                   AND (b.sell_by IS NULL OR b.sell_by >= %(today)s)
                   AND (v.use_by IS NULL OR v.use_by >= %(valid_until)s)
                 ORDER BY v.use_by NULLS LAST, v.id
                 LIMIT 1
                   FOR UPDATE OF v SKIP LOCKED
                """,
                plan=self.plan_id.id,
                company=self.company_id.id,
                today=today,
                valid_until=today + timedelta(days=ONLINE_MIN_VALIDITY_DAYS),
            )
        )
        row = self.env.cr.fetchone()
        if row:
            return self.env["wisp.voucher"].browse(row[0])
        return self._wisp_generate_voucher()

    def _wisp_generate_voucher(self):
        """One new code in the plan's online batch, made on first use (the batch of the
        last code generated for an online sale of the plan)."""
        self.ensure_one()
        batch = self.search(
            [
                ("plan_id", "=", self.plan_id.id),
                ("company_id", "=", self.company_id.id),
                ("generated_batch_id.state", "=", "generated"),
            ],
            order="id desc",
            limit=1,
        ).generated_batch_id
        if batch:
            # the write locks the batch row: concurrent generations queue here
            batch.quantity += 1
            batch._insert_vouchers(1)
        else:
            batch = (
                self.env["wisp.voucher.batch"]
                .with_company(self.company_id)
                .create(
                    {
                        "name": self.env._("Online sales: %(plan)s", plan=self.plan_id.name),
                        "company_id": self.company_id.id,
                        "plan_id": self.plan_id.id,
                        "quantity": 1,
                    }
                )
            )
            batch.action_generate()
        self.generated_batch_id = batch
        # the newest code of the batch is the one just inserted (not visible to others yet)
        return self.env["wisp.voucher"].search(
            [("batch_id", "=", batch.id), ("state", "=", "new")], order="id desc", limit=1
        )

    def action_deliver(self):
        """Deliver purchases whose invoice was paid another way (e.g. registered by hand)."""
        self.check_access("write")
        if self.filtered(lambda p: p.state not in ("draft", "paid")):
            raise UserError(self.env._("Only purchases waiting for delivery can be delivered."))
        if self.filtered(lambda p: p.invoice_id.payment_state not in ("paid", "in_payment")):
            raise UserError(self.env._("The invoice is not paid yet."))
        self._wisp_deliver(raise_errors=True)
        return True

    # -------------------------------------------------------------------------
    # Cancellation
    # -------------------------------------------------------------------------
    def action_cancel(self):
        """Billing staff's Cancel button; see :meth:`_wisp_cancel`."""
        self.check_access("write")
        return self._wisp_cancel()

    def _wisp_cancel(self):
        """Cancel unpaid purchases: their invoice and unfinished transactions too."""
        for purchase in self.sudo():
            purchase._wisp_lock()
            if (
                purchase.state != "draft"
                or purchase.invoice_id.payment_state != "not_paid"
                or any(tx.state in LIVE_TX_STATES for tx in purchase.transaction_ids)
            ):
                raise UserError(
                    self.env._(
                        "Purchase %(name)s is paid or being paid: it cannot be cancelled.",
                        name=purchase.name,
                    )
                )
            purchase.transaction_ids.filtered(lambda tx: tx.state == "draft")._set_canceled()
            invoice = purchase.invoice_id
            if invoice.state == "posted":
                invoice.button_draft()
            if invoice.state == "draft":
                invoice.button_cancel()
            purchase.state = "cancelled"
        return True

    @api.model
    def _cron_cancel_abandoned(self):
        """Cancel checkouts left unpaid, so their invoices leave the receivables."""
        limit = fields.Datetime.now() - timedelta(hours=ABANDONED_AFTER_HOURS)
        abandoned = self.search(
            [
                ("state", "=", "draft"),
                ("create_date", "<", limit),
                ("invoice_id.payment_state", "=", "not_paid"),
            ]
        )
        abandoned = abandoned.filtered(
            lambda p: not any(tx.state in LIVE_TX_STATES for tx in p.transaction_ids)
        )
        cancelled = self.browse()
        for purchase in abandoned:
            # one purchase that cannot be cancelled (paid meanwhile) keeps the others going
            try:
                with self.env.cr.savepoint():
                    purchase._wisp_cancel()
                cancelled |= purchase
            except UserError as error:
                _logger.warning("Checkout %s not cancelled: %s", purchase.name, error)
        self._wisp_archive_abandoned_buyers(cancelled.partner_id)
        return len(cancelled)

    @api.model
    def _wisp_archive_abandoned_buyers(self, buyers):
        """Archive the contacts anonymous checkouts created and nothing else uses: an
        open checkout or a service keeps one."""
        anonymous = buyers.filtered("wisp_anonymous_prepaid")
        if not anonymous:
            return
        in_use = self.search(
            [("partner_id", "in", anonymous.ids), ("state", "!=", "cancelled")]
        ).partner_id
        in_use |= (
            self.env["wisp.service"]
            .sudo()
            .with_context(active_test=False)
            .search([("commercial_partner_id", "in", anonymous.ids)])
            .commercial_partner_id
        )
        (anonymous - in_use).sudo().active = False
