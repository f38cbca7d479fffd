from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    wisp_billing_day = fields.Integer(
        string="Default Billing Day",
        default=1,
        help="Day of the month (1-28) a subscriber's cycle starts, unless the "
        "subscriber has its own.",
    )
    wisp_payment_days = fields.Integer(
        string="Days to Pay",
        default=10,
        help="Due date of a recurring invoice, in days after its date, when the "
        "subscriber has no payment term.",
    )
    wisp_reminder_days = fields.Integer(
        string="Reminder Days Before Due",
        default=3,
    )
    wisp_grace_days = fields.Integer(
        string="Grace Days After Due",
        default=5,
    )
    wisp_overdue_action = fields.Selection(
        [("restrict", "Restrict (captive portal, low speed)"), ("suspend", "Suspend")],
        string="Action After Grace",
        default="suspend",
        required=True,
    )
    wisp_billing_chunk_size = fields.Integer(
        string="Billing Chunk Size",
        default=100,
        help="Subscribers billed and committed together by one billing worker.",
    )
    wisp_autopay_retry_days = fields.Char(
        string="Autopay Retries",
        default="1,3,5",
        help="Days after a failed automatic card charge on which it is tried again, "
        "comma-separated.",
    )
    wisp_wallet_journal_id = fields.Many2one(
        "account.journal",
        string="Wallet Adjustments Journal",
        domain="[('type', '=', 'general'), ('company_id', '=', id)]",
        help="Journal of promotional credits, compensations and gift card redemptions.",
    )
    wisp_promo_account_id = fields.Many2one(
        "account.account",
        string="Promotional Credit Account",
        help="Expense booked when a promotional credit is granted.",
    )
    wisp_compensation_account_id = fields.Many2one(
        "account.account",
        string="Compensation Account",
        help="Expense booked when a subscriber is compensated (outage, SLA).",
    )
    wisp_gift_card_account_id = fields.Many2one(
        "account.account",
        string="Gift Card Liability Account",
        help="Liability holding sold gift cards until they are redeemed.",
    )

    @api.constrains(
        "wisp_billing_day",
        "wisp_reminder_days",
        "wisp_grace_days",
        "wisp_payment_days",
        "wisp_billing_chunk_size",
    )
    def _check_wisp_billing_settings(self):
        for company in self:
            if not 1 <= company.wisp_billing_day <= 28:
                raise ValidationError(self.env._("The billing day must be between 1 and 28."))
            if (
                min(company.wisp_reminder_days, company.wisp_grace_days, company.wisp_payment_days)
                < 0
            ):
                raise ValidationError(
                    self.env._("Reminder, grace and payment days cannot be negative.")
                )
            if company.wisp_billing_chunk_size < 1:
                raise ValidationError(self.env._("A billing chunk holds at least one subscriber."))

    @api.constrains("wisp_cpe_return_days")
    def _check_wisp_cpe_return_days(self):
        if any(company.wisp_cpe_return_days < 0 for company in self):
            raise ValidationError(self.env._("The days to return a device cannot be negative."))

    wisp_voucher_max_failures = fields.Integer(
        string="Wrong Codes Before Throttling",
        default=5,
        help="A client (IP address) is refused after this many wrong voucher codes "
        "within the window; 0 disables throttling.",
    )
    wisp_voucher_failure_minutes = fields.Integer(string="Throttling Window (min)", default=10)
    wisp_referral_credit = fields.Monetary(
        string="Referral Credit",
        currency_field="currency_id",
        help="Wallet credit for both the referrer and the referred customer when the "
        "referred customer's first invoice is paid.",
    )
    wisp_registration_bonus = fields.Monetary(
        string="Prepaid Registration Bonus",
        currency_field="currency_id",
        help="Wallet credit for an anonymous prepaid customer who registers its details.",
    )

    wisp_cpe_return_days = fields.Integer(
        string="Device Return (days)",
        default=30,
        help="A rented device not back this many days after its service ended is "
        "invoiced to the subscriber at its sales price.",
    )

    # (kind -> company field, default code, name, account type)
    _WISP_WALLET_ACCOUNTS = {
        "promo": ("wisp_promo_account_id", "WISP01", "Promotional credits", "expense"),
        "compensation": (
            "wisp_compensation_account_id",
            "WISP02",
            "Subscriber compensations",
            "expense",
        ),
        "gift_card": (
            "wisp_gift_card_account_id",
            "WISP03",
            "Gift cards outstanding",
            "liability_current",
        ),
    }

    def _wisp_wallet_accounts(self, kind):
        """(journal, counterpart account) of a wallet credit of ``kind``.

        Missing settings are filled once with a miscellaneous journal and a
        dedicated account, so crediting a wallet works out of the box and the
        accountant can point them elsewhere in the settings.
        """
        self.ensure_one()
        field_name, code, name, account_type = self._WISP_WALLET_ACCOUNTS[kind]
        if not self.wisp_wallet_journal_id:
            self.wisp_wallet_journal_id = self.env["account.journal"].search(
                [("type", "=", "general"), ("company_id", "=", self.id)], limit=1
            )
        if not self[field_name]:
            self[field_name] = self.env["account.account"].create(
                {
                    "code": code,
                    "name": name,
                    "account_type": account_type,
                    "company_ids": [fields.Command.link(self.id)],
                }
            )
        if not self.wisp_wallet_journal_id:
            raise ValidationError(self.env._("Set a journal for wallet adjustments first."))
        return self.wisp_wallet_journal_id, self[field_name]
