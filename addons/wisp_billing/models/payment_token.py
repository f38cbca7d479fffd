from odoo import api, models


class PaymentToken(models.Model):
    """Saved cards are Odoo payment tokens: the provider keeps the card, we keep its reference.

    The autopay card of a subscriber follows the life of its tokens: a card saved while
    autopay is on and no card is chosen becomes the autopay card; a card the subscriber
    removes (archived token) is replaced by another saved card of the account, if any.
    """

    _inherit = "payment.token"

    @api.model_create_multi
    def create(self, vals_list):
        tokens = super().create(vals_list)
        for token in tokens:
            commercial = token.partner_id.commercial_partner_id.sudo()
            if commercial.wisp_autopay and not commercial.wisp_autopay_token_id:
                commercial.wisp_autopay_token_id = token
        return tokens

    def _handle_archiving(self):
        res = super()._handle_archiving()
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        for partner in Partner.search([("wisp_autopay_token_id", "in", self.ids)]):
            replacement = self.search(
                [
                    ("partner_id", "child_of", partner.id),
                    ("id", "not in", self.ids),
                ],
                order="id desc",
                limit=1,
            )
            partner.wisp_autopay_token_id = replacement
            partner.message_post(
                body=self.env._(
                    "The autopay card was removed; autopay now uses %(card)s.",
                    card=replacement.display_name,
                )
                if replacement
                else self.env._("The autopay card was removed; autopay has no card to charge.")
            )
        return res
