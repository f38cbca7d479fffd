from freezegun import freeze_time

from odoo import api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..models.wisp_gift_card import CODE_ALPHABET, normalize_gift_code
from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestGiftCard(WispBillingCase):
    def issue(self, count=3, amount=25.0, **vals):
        self.env["wisp.gift.card.batch"].create(
            {"name": "XMAS", "count": count, "amount": amount, **vals}
        ).action_issue()
        return self.env["wisp.gift.card"].search([("batch", "=", "XMAS")])

    def test_batch_codes_unique_and_readable(self):
        cards = self.issue(count=200)
        self.assertEqual(len(set(cards.mapped("code"))), 200)
        for code in cards.mapped("code")[:20]:
            groups = code.split("-")
            self.assertEqual([len(g) for g in groups], [4, 4, 4, 4])
            self.assertTrue(set("".join(groups)) <= set(CODE_ALPHABET))
        with self.assertRaisesRegex(UserError, "between 1 and"):
            self.issue(count=0)

    def test_redeem_once_into_the_wallet(self):
        card = self.issue(count=1)
        typed = card.code.lower().replace("-", " ")
        self.assertEqual(normalize_gift_code(typed), card.code)
        self.env["wisp.gift.card"]._redeem(typed, self.subscriber)
        self.assertEqual((card.state, card.partner_id), ("redeemed", self.subscriber))
        self.assertAlmostEqual(self.subscriber.wisp_wallet_balance, 25.0)
        self.assertEqual(card.move_id.wisp_wallet_kind, "gift_card")
        with self.assertRaisesRegex(UserError, "already used"):
            self.env["wisp.gift.card"]._redeem(card.code, self.subscriber)
        with self.assertRaisesRegex(UserError, "not valid"):
            self.env["wisp.gift.card"]._redeem("AAAA-BBBB-CCCC-DDDD", self.subscriber)

    def test_expired_and_void_cards_refused(self):
        expired, void = self.issue(count=2, expiry_date="2026-01-31")
        void.action_void()
        with freeze_time("2026-02-01"), self.assertRaisesRegex(UserError, "expired"):
            self.env["wisp.gift.card"]._redeem(expired.code, self.subscriber)
        with self.assertRaisesRegex(UserError, "already used or is void"):
            self.env["wisp.gift.card"]._redeem(void.code, self.subscriber)


@tagged("post_install", "-at_install")
class TestGiftCardConcurrency(TransactionCase):
    """Two redemptions of one code at once, on real separate cursors."""

    def test_concurrent_redemptions_credit_once(self):
        """While cursor A's redemption is not committed, cursor B's fails at
        once; after A commits, B finds the card used. One credit in all."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].create([{"name": "Racer A"}, {"name": "Racer B"}])
            code = env["wisp.gift.card"].create({"amount": 30.0, "batch": "RACE"}).code
            partner_ids = partners.ids
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            env_a["wisp.gift.card"]._redeem(code, env_a["res.partner"].browse(partner_ids[0]))
            with mute_logger("odoo.sql_db"), self.assertRaisesRegex(UserError, "right now"):
                env_b["wisp.gift.card"]._redeem(code, env_b["res.partner"].browse(partner_ids[1]))
            cr_b.rollback()
            cr_a.commit()
            with self.assertRaisesRegex(UserError, "already used"):
                env_b["wisp.gift.card"]._redeem(code, env_b["res.partner"].browse(partner_ids[1]))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            balances = env["res.partner"].browse(partner_ids).mapped("wisp_wallet_balance")
            self.assertEqual(balances, [30.0, 0.0])
