from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

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
