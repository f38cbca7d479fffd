from odoo import api, fields, models
from odoo.exceptions import UserError


class WispWalletCredit(models.TransientModel):
    """Credit a subscriber's wallet from the back office."""

    _name = "wisp.wallet.credit"
    _description = "Credit a Wallet"

    partner_id = fields.Many2one("res.partner", string="Subscriber", required=True)
    kind = fields.Selection(
        [
            ("topup", "Top-up received (cash / bank)"),
            ("promo", "Promotional credit"),
            ("compensation", "Compensation"),
        ],
        required=True,
        default="topup",
    )
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="Where the money was received (top-ups only).",
    )
    memo = fields.Char(required=True, default=lambda self: self.env._("Wallet top-up"))

    @api.onchange("kind")
    def _onchange_kind(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        self.memo = labels.get(self.kind)

    def action_confirm(self):
        self.ensure_one()
        if self.amount <= 0:
            raise UserError(self.env._("The amount must be positive."))
        account = self.partner_id.commercial_partner_id
        if self.kind != "topup":
            account._wisp_wallet_grant(self.amount, self.kind, self.memo)
            return {"type": "ir.actions.act_window_close"}
        if not self.journal_id:
            raise UserError(self.env._("Choose the bank or cash journal the money came in."))
        account._wisp_wallet_topup(self.amount, self.journal_id, self.memo)
        return {"type": "ir.actions.act_window_close"}
