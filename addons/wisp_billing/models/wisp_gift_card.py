from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import MANAGER
from odoo.exceptions import LockError, UserError

from ..tools.codes import CODE_ALPHABET, generate_code, normalize_code

# 16 random symbols of 32 is 80 bits: not guessable. (CODE_ALPHABET is
# re-exported for callers of this module.)
__all__ = ["CODE_ALPHABET", "CODE_LENGTH", "generate_gift_code", "normalize_gift_code"]
CODE_LENGTH = 16


def generate_gift_code():
    return generate_code(CODE_LENGTH)


def normalize_gift_code(code):
    return normalize_code(code)


class WispGiftCard(models.Model):
    """A prepaid code redeemed once into a subscriber's wallet.

    Selling one books its value on the gift card liability account (sell a
    product whose income account is that liability); redeeming moves it from
    the liability to the subscriber's receivable credit.
    """

    _name = "wisp.gift.card"
    _inherit = ["wisp.protected.fields.mixin"]
    _description = "Gift Card"
    _order = "id desc"
    _rec_name = "code"

    code = fields.Char(
        required=True, readonly=True, copy=False, default=lambda self: generate_gift_code()
    )
    batch = fields.Char(readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True)
    expiry_date = fields.Date()
    state = fields.Selection(
        [("new", "Valid"), ("redeemed", "Redeemed"), ("void", "Void")],
        default="new",
        required=True,
        readonly=True,
        index=True,
    )
    partner_id = fields.Many2one("res.partner", string="Redeemed By", readonly=True)
    redeemed_date = fields.Datetime(readonly=True)
    move_id = fields.Many2one("account.move", string="Wallet Entry", readonly=True)

    _code_uniq = models.Constraint("UNIQUE(code)", "Gift card codes are unique.")
    _amount_positive = models.Constraint("CHECK(amount > 0)", "A gift card has a positive value.")

    @api.model
    def _wisp_field_write_groups(self):
        # Set by redemption and Void only (as superuser, after their checks).
        protected = dict.fromkeys(("state", "partner_id", "redeemed_date", "move_id"), (MANAGER,))
        return {**super()._wisp_field_write_groups(), **protected}

    @api.model
    def _redeem(self, code, partner, client_key=None):
        """Credit ``partner``'s wallet with the card ``code``; once, ever.

        The card row is locked without waiting: a second redemption at the same
        moment fails at once instead of crediting twice. With ``client_key`` (the
        portal's caller), wrong codes count towards the same throttle as vouchers.
        """
        Attempt = self.env["wisp.voucher.attempt"]
        Attempt._check_throttle(client_key, code)
        code = normalize_gift_code(code)
        card = self.search([("code", "=", code)], limit=1)
        try:
            card.lock_for_update()
        except LockError:
            raise UserError(
                self.env._("This gift card is being redeemed right now; try again.")
            ) from None
        if not card:
            Attempt._log(client_key, code, "unknown")
            raise UserError(self.env._("This gift card code is not valid."))
        card.invalidate_recordset()
        error = card._redeem_error()
        if error:
            Attempt._log(client_key, code, "refused")
            raise UserError(error)
        # a refusal from the accounting (posting the entry) leaves no draft entry behind:
        # the portal answers it with a page, so nothing rolls the request back
        with self.env.cr.savepoint():
            move = partner.commercial_partner_id._wisp_wallet_grant(
                card.amount, "gift_card", self.env._("Gift card %(code)s", code=card.code)
            )
            card.sudo().write(
                {
                    "state": "redeemed",
                    "partner_id": partner.commercial_partner_id.id,
                    "redeemed_date": fields.Datetime.now(),
                    "move_id": move.id,
                }
            )
        Attempt._log(client_key, code, "success")
        return card

    def _redeem_error(self):
        self.ensure_one()
        if self.state != "new":
            return self.env._("This gift card was already used or is void.")
        if self.expiry_date and self.expiry_date < fields.Date.context_today(self):
            return self.env._("This gift card expired on %(date)s.", date=self.expiry_date)
        return ""

    def action_void(self):
        self.check_access("write")
        if self.filtered(lambda c: c.state != "new"):
            raise UserError(self.env._("Only a valid, unused gift card can be voided."))
        self.sudo().state = "void"
        return True
