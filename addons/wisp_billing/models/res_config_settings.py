from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wisp_billing_day = fields.Integer(related="company_id.wisp_billing_day", readonly=False)
    wisp_payment_days = fields.Integer(related="company_id.wisp_payment_days", readonly=False)
    wisp_reminder_days = fields.Integer(related="company_id.wisp_reminder_days", readonly=False)
    wisp_grace_days = fields.Integer(related="company_id.wisp_grace_days", readonly=False)
    wisp_overdue_action = fields.Selection(related="company_id.wisp_overdue_action", readonly=False)
    wisp_billing_chunk_size = fields.Integer(
        related="company_id.wisp_billing_chunk_size", readonly=False
    )
    wisp_autopay_retry_days = fields.Char(
        related="company_id.wisp_autopay_retry_days", readonly=False
    )
    wisp_wallet_journal_id = fields.Many2one(
        related="company_id.wisp_wallet_journal_id", readonly=False
    )
    wisp_promo_account_id = fields.Many2one(
        related="company_id.wisp_promo_account_id", readonly=False
    )
    wisp_compensation_account_id = fields.Many2one(
        related="company_id.wisp_compensation_account_id", readonly=False
    )
    wisp_gift_card_account_id = fields.Many2one(
        related="company_id.wisp_gift_card_account_id", readonly=False
    )

    wisp_voucher_max_failures = fields.Integer(
        related="company_id.wisp_voucher_max_failures", readonly=False
    )
    wisp_voucher_failure_minutes = fields.Integer(
        related="company_id.wisp_voucher_failure_minutes", readonly=False
    )
    wisp_referral_credit = fields.Monetary(
        related="company_id.wisp_referral_credit", readonly=False
    )
    wisp_registration_bonus = fields.Monetary(
        related="company_id.wisp_registration_bonus", readonly=False
    )

    wisp_cpe_return_days = fields.Integer(related="company_id.wisp_cpe_return_days", readonly=False)
    wisp_prepaid_notice_days = fields.Integer(
        related="company_id.wisp_prepaid_notice_days", readonly=False
    )

    wisp_stripe_unsigned_provider_ids = fields.Many2many(
        "payment.provider",
        compute="_compute_wisp_stripe_unsigned_provider_ids",
        string="Stripe Providers Without Webhook Secret",
    )

    @api.depends("company_id")
    def _compute_wisp_stripe_unsigned_provider_ids(self):
        # The webhook refuses their events: tell the administrator where to set the secret.
        Provider = self.env["payment.provider"].sudo()
        for settings in self:
            settings.wisp_stripe_unsigned_provider_ids = Provider.search(
                [
                    ("code", "=", "stripe"),
                    ("state", "!=", "disabled"),
                    ("company_id", "=", settings.company_id.id),
                    ("stripe_webhook_secret", "=", False),
                ]
            )
