from odoo import fields, models
from odoo.exceptions import UserError

from ..models.wisp_gift_card import generate_gift_code

MAX_BATCH = 10000


class WispGiftCardBatch(models.TransientModel):
    _name = "wisp.gift.card.batch"
    _description = "Issue Gift Cards"

    name = fields.Char(string="Batch", required=True)
    count = fields.Integer(required=True, default=10)
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    expiry_date = fields.Date()

    def action_issue(self):
        self.ensure_one()
        if not 0 < self.count <= MAX_BATCH:
            raise UserError(self.env._("Issue between 1 and %(max)s cards at once.", max=MAX_BATCH))
        if self.amount <= 0:
            raise UserError(self.env._("A gift card has a positive value."))
        codes = set()
        while len(codes) < self.count:
            codes.add(generate_gift_code())
        cards = self.env["wisp.gift.card"].create(
            [
                {
                    "code": code,
                    "batch": self.name,
                    "amount": self.amount,
                    "expiry_date": self.expiry_date,
                    "company_id": self.company_id.id,
                }
                for code in codes
            ]
        )
        return cards._get_records_action(name=self.env._("Gift Cards"))
