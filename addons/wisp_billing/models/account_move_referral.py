from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        referred = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.commercial_partner_id.wisp_referred_by_id
        )
        if referred:
            referred.commercial_partner_id._wisp_reward_referral()
        return res
