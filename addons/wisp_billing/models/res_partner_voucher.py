from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.codes import random_symbols

REFERRAL_CODE_LENGTH = 8


class ResPartner(models.Model):
    """Resellers, referral codes and the prepaid registration bonus."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

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
