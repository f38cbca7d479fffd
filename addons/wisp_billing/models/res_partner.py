from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, SUPPORT, check_groups
from odoo.exceptions import UserError, ValidationError

from ..tools.codes import random_symbols
from ..tools.proration import cycle_bounds

REFERRAL_CODE_LENGTH = 8


class ResPartner(models.Model):
    _inherit = "res.partner"

    wisp_billing_day = fields.Integer(
        string="Billing Day",
        company_dependent=False,
        help="Day of the month (1-28) this subscriber's cycle starts; 0 follows the "
        "company's default.",
    )
    wisp_billing_mode = fields.Selection(
        [("advance", "Prepaid (in advance)"), ("postpaid", "Postpaid (in arrears)")],
        string="Billing Mode",
        default="advance",
        help="In advance: each invoice covers the cycle that starts. Postpaid: each "
        "invoice covers the cycle that ended.",
    )
    wisp_next_billing_date = fields.Date(
        string="Next Billing Date",
        copy=False,
        help="The billing run bills this subscriber on this date; it then moves to "
        "the next cycle start.",
    )
    wisp_wallet_auto_apply = fields.Boolean(
        string="Pay Invoices from Wallet",
        help="New invoices are paid from the wallet balance first.",
    )
    wisp_wallet_balance = fields.Monetary(
        string="Wallet Balance",
        compute="_compute_wisp_wallet_balance",
        currency_field="currency_id",
        help="Customer credit not yet used: top-ups, overpayments, promotional "
        "credits and gift cards, read from the accounting.",
    )
    wisp_balance_due = fields.Monetary(
        string="Balance Due",
        compute="_compute_wisp_balance_due",
        currency_field="currency_id",
        groups=f"{BILLING},{SUPPORT}",
        help="What the subscriber's posted invoices still leave to pay.",
    )
    wisp_overdue = fields.Monetary(
        string="Overdue",
        compute="_compute_wisp_balance_due",
        currency_field="currency_id",
        groups=f"{BILLING},{SUPPORT}",
        help="The part of the balance due whose due date has passed.",
    )
    wisp_autopay = fields.Boolean(
        string="Autopay",
        help="Charge the saved card on the due date of each invoice.",
    )
    wisp_autopay_token_id = fields.Many2one(
        "payment.token",
        string="Autopay Card",
        domain="[('partner_id', 'child_of', id)]",
        copy=False,
    )
    wisp_payment_flagged = fields.Boolean(
        string="Payment Dispute",
        copy=False,
        help="Set when a card payment was disputed (chargeback).",
    )

    @api.constrains("wisp_billing_day")
    def _check_wisp_billing_day(self):
        for partner in self:
            if not 0 <= partner.wisp_billing_day <= 28:
                raise ValidationError(
                    self.env._("The billing day must be between 1 and 28 (0: company default).")
                )

    def _wisp_effective_billing_day(self):
        self.ensure_one()
        commercial = self.commercial_partner_id
        return (
            commercial.wisp_billing_day
            or commercial.company_id.wisp_billing_day
            or (self.env.company.wisp_billing_day)
        )

    def _wisp_current_cycle(self, day):
        """(start, end) of this subscriber's billing cycle that contains ``day``."""
        return cycle_bounds(day, self._wisp_effective_billing_day())

    # -------------------------------------------------------------------------
    # Wallet: the balance IS the customer's unreconciled credit in receivable.
    # -------------------------------------------------------------------------
    def _wisp_wallet_credit_lines(self):
        """Posted receivable lines of the account that still hold credit."""
        self.ensure_one()
        return self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.commercial_partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                ("company_id", "=", self.env.company.id),
            ],
            order="date, id",
        )

    @api.depends_context("company")
    def _compute_wisp_wallet_balance(self):
        commercial = self.commercial_partner_id
        balances = dict(
            self.env["account.move.line"]._read_group(
                [
                    ("partner_id", "in", commercial.ids),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id"],
                ["amount_residual:sum"],
            )
        )
        for partner in self:
            partner.wisp_wallet_balance = -balances.get(partner.commercial_partner_id, 0.0)

    @api.depends_context("company")
    def _compute_wisp_balance_due(self):
        # Two totals for the header, shown to the roles the fields name: read as
        # superuser so support staff need no rights on the accounting to see them.
        today = fields.Date.context_today(self)
        domain = [
            ("commercial_partner_id", "in", self.commercial_partner_id.ids),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", self.env.company.id),
        ]
        Move = self.env["account.move"].sudo()
        due = dict(
            Move._read_group(domain, ["commercial_partner_id"], ["amount_residual_signed:sum"])
        )
        overdue = dict(
            Move._read_group(
                [*domain, ("invoice_date_due", "<", today)],
                ["commercial_partner_id"],
                ["amount_residual_signed:sum"],
            )
        )
        for partner in self:
            partner.wisp_balance_due = due.get(partner.commercial_partner_id, 0.0)
            partner.wisp_overdue = overdue.get(partner.commercial_partner_id, 0.0)

    def action_wisp_register_payment(self):
        """Register a payment of the subscriber's open invoices (Odoo's payment wizard)."""
        check_groups(self.env, (BILLING,))
        self.check_access("read")
        self.ensure_one()
        invoices = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("company_id", "=", self.env.company.id),
            ],
            order="invoice_date_due, id",
        )
        if not invoices:
            raise UserError(self.env._("%(name)s has no invoice to pay.", name=self.display_name))
        action = invoices.action_register_payment()
        # the clerk stays on the subscriber, whose header then shows the new balance
        action["context"] = {**action["context"], "dont_redirect_to_payments": True}
        return action

    def _wisp_lock(self):
        """Serialize wallet operations of these accounts (two clicks, two workers).

        Waits in id order (no deadlock between two multi-account operations), where
        Odoo's ``lock_for_update()`` would fail at once.
        """
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id IN %s ORDER BY id FOR UPDATE",
            [tuple(self.commercial_partner_id.ids)],
        )
        self.env["account.move.line"].invalidate_model(
            ["amount_residual", "reconciled", "matched_debit_ids", "matched_credit_ids"]
        )

    def _wisp_wallet_movements(self):
        """What went into and out of this account's wallet, newest first.

        The wallet is the receivable credit that waited to be used, so an invoice and
        the payment made for it are no wallet movement. A credit line (top-up, payment,
        credit note, wallet credit) goes *in* for what it did not pay at once: the
        invoices its payment was for, the invoice a credit note reverses, the invoice a
        bank statement line was matched with. Each later match of its credit with an
        invoice or another debit (wallet applied, refund, chargeback) goes *out*. The
        movements add up to ``wisp_wallet_balance``.

        :return: list of dicts: ``date``, ``label``, ``move`` (the entry that brought the
            credit, or the invoice it paid), ``amount_in``, ``amount_out``
        """
        self.ensure_one()
        account = self.commercial_partner_id
        credits = self.env["account.move.line"].search(
            [
                ("partner_id", "=", account.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("credit", ">", 0),
                ("company_id", "=", self.env.company.id),
            ]
        )
        currency = self.env.company.currency_id
        movements = []
        for credit in credits:
            move = credit.move_id
            paid_at_once = 0.0
            for partial in credit.matched_debit_ids:
                target = partial.debit_move_id.move_id
                if (
                    target in move.origin_payment_id.invoice_ids
                    or target == move.reversed_entry_id
                    or move.statement_line_id
                ):
                    paid_at_once += partial.amount
                    continue
                movements.append(
                    {
                        "date": fields.Date.context_today(self, partial.create_date),
                        "label": self.env._("Paid %(document)s", document=target.name)
                        if target.is_invoice(include_receipts=True)
                        else target.ref or target.name,
                        "move": target,
                        "amount_in": 0.0,
                        "amount_out": partial.amount,
                        "sequence": (partial.create_date, partial.id),
                    }
                )
            amount_in = currency.round(credit.credit - paid_at_once)
            if not currency.is_zero(amount_in):
                movements.append(
                    {
                        "date": credit.date,
                        "label": credit.name or move.ref or move.name,
                        "move": move,
                        "amount_in": amount_in,
                        "amount_out": 0.0,
                        "sequence": (credit.create_date, 0),
                    }
                )
        movements.sort(key=lambda m: (m["date"], m["sequence"]), reverse=True)
        return movements

    def _wisp_set_autopay(self, token=None):
        """Autopay of this account on, charging ``token`` (a saved card of the account),
        or off without a token; noted in the account's chatter. The caller checks that
        the user acts for this account and may use that card (the portal reads the card
        as the subscriber)."""
        self.ensure_one()
        account = self.commercial_partner_id.sudo()
        if token:
            token = token.sudo()
            if not token.active or token.partner_id.commercial_partner_id != account:
                raise UserError(self.env._("Choose one of your saved cards."))
            account.write({"wisp_autopay": True, "wisp_autopay_token_id": token.id})
            body = self.env._(
                "Autopay turned on: invoices are charged to %(card)s on their due date.",
                card=token.display_name,
            )
        else:
            account.wisp_autopay = False
            body = self.env._("Autopay turned off.")
        account.message_post(body=body)
        return True

    def action_wisp_wallet_history(self):
        check_groups(self.env, (SUPPORT, BILLING))
        self.check_access("read")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wisp_billing.action_wisp_wallet_history"
        )
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
        ]
        return action

    def action_wisp_bill_now(self):
        """Bill these subscribers today, outside the scheduled run."""
        invoices = self.env["wisp.billing.run"]._bill_subscribers(
            self.commercial_partner_id, fields.Date.context_today(self)
        )
        return invoices._get_records_action(name=self.env._("Invoices")) if invoices else True

    def _wisp_wallet_topup(self, amount, journal, memo, **payment_vals):
        """Book money the subscriber paid into ``journal`` (bank, cash, a collection
        partner's) as a posted customer payment: unreconciled, it is wallet credit.
        Returns the payment; the caller checked who may book it."""
        self.ensure_one()
        if amount <= 0:
            raise UserError(self.env._("The amount must be positive."))
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.commercial_partner_id.id,
                "amount": amount,
                "journal_id": journal.id,
                "memo": memo,
                **payment_vals,
            }
        )
        if not payment.outstanding_account_id:
            raise UserError(
                self.env._(
                    "Journal %(journal)s has no outstanding receipts account: a top-up "
                    "there would not reach the accounting.",
                    journal=journal.display_name,
                )
            )
        payment.action_post()
        return payment

    def _wisp_wallet_grant(self, amount, kind, label):
        """Credit the wallet with a posted entry: the company's ``kind`` account
        (promotional or compensation expense, gift card liability) against the
        subscriber's receivable. Returns the entry."""
        self.ensure_one()
        if amount <= 0:
            raise UserError(self.env._("A wallet credit must be positive."))
        account = self.commercial_partner_id
        journal, counterpart = self.env.company._wisp_wallet_accounts(kind)
        # The wallet's own entry (its kind is the code's to set): the callers checked who
        # grants what.
        moves = self.env["account.move"].sudo()
        move = moves.create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "ref": label,
                "wisp_wallet_kind": kind,
                "line_ids": [
                    fields.Command.create(
                        {
                            "name": label,
                            "account_id": counterpart.id,
                            "debit": amount,
                        }
                    ),
                    fields.Command.create(
                        {
                            "name": label,
                            "account_id": account.property_account_receivable_id.id,
                            "partner_id": account.id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    # -------------------------------------------------------------------------
    # Resellers, referral codes and the prepaid registration bonus
    # -------------------------------------------------------------------------
    wisp_is_reseller = fields.Boolean(string="Voucher Reseller")
    wisp_reseller_commission = fields.Float(
        string="Reseller Commission (%)",
        help="Deducted from the card price when its batch has no wholesale price.",
    )
    wisp_reseller_location_ids = fields.One2many(
        "wisp.reseller.location", "reseller_id", string="Sales Locations"
    )
    wisp_referral_code = fields.Char(string="Referral Code", copy=False, readonly=True)
    wisp_referred_by_id = fields.Many2one(
        "res.partner", string="Referred By", copy=False, index="btree_not_null"
    )
    wisp_referral_rewarded = fields.Boolean(copy=False, readonly=True)
    wisp_anonymous_prepaid = fields.Boolean(string="Anonymous Prepaid", copy=False, readonly=True)
    wisp_registration_rewarded = fields.Boolean(copy=False, readonly=True)

    _wisp_referral_code_uniq = models.Constraint(
        "UNIQUE(wisp_referral_code)", "Referral codes are unique."
    )

    def _wisp_referral_code_get(self):
        """This account's referral code, created on first use."""
        self.ensure_one()
        account = self.commercial_partner_id.sudo()
        while not account.wisp_referral_code:
            code = random_symbols(REFERRAL_CODE_LENGTH)
            if not self.sudo().search_count([("wisp_referral_code", "=", code)], limit=1):
                account.wisp_referral_code = code
        return account.wisp_referral_code

    def _wisp_set_referrer(self, code):
        """Record who referred this (new) account, by the referrer's code."""
        self.ensure_one()
        account = self.commercial_partner_id.sudo()
        code = (code or "").strip().upper()
        referrer = self.sudo().search([("wisp_referral_code", "=", code)], limit=1)
        if not code or not referrer:
            raise UserError(self.env._("This referral code does not exist."))
        if referrer == account or account.wisp_referred_by_id:
            raise UserError(self.env._("This account cannot take a referral code."))
        account.wisp_referred_by_id = referrer
        return referrer

    def _wisp_reward_referral(self):
        """Both the account and its referrer get the referral credit, once."""
        amount = self.env.company.wisp_referral_credit
        for account in self.commercial_partner_id.sudo():
            if not amount or not account.wisp_referred_by_id or account.wisp_referral_rewarded:
                continue
            account._wisp_lock()
            account.invalidate_recordset(["wisp_referral_rewarded"])
            if account.wisp_referral_rewarded:
                continue
            account.wisp_referral_rewarded = True
            referrer = account.wisp_referred_by_id.commercial_partner_id
            label = self.env._("Referral credit: %(name)s", name=account.name)
            account._wisp_wallet_grant(amount, "promo", label)
            referrer._wisp_wallet_grant(amount, "promo", label)

    def _wisp_register_prepaid(self, vals):
        """An anonymous prepaid subscriber gives its details (name, e-mail,
        address): saved, and the registration bonus granted once."""
        self.ensure_one()
        account = self.commercial_partner_id.sudo()
        if not account.wisp_anonymous_prepaid:
            raise UserError(self.env._("Only prepaid hotspot accounts register this way."))
        allowed = {"name", "email", "phone", "street", "street2", "city", "zip", "country_id"}
        vals = {key: value for key, value in vals.items() if key in allowed and value}
        if not (vals.get("name") and vals.get("email")):
            raise UserError(self.env._("Give at least your name and e-mail address."))
        account._wisp_lock()
        account.invalidate_recordset(["wisp_registration_rewarded"])
        account.write(vals)
        amount = self.env.company.wisp_registration_bonus
        if account.wisp_registration_rewarded or not amount:
            return False
        account.wisp_registration_rewarded = True
        return account._wisp_wallet_grant(
            amount, "promo", self.env._("Registration bonus: %(name)s", name=account.name)
        )
