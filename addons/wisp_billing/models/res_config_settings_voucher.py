from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

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
