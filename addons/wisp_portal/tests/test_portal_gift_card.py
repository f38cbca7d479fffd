from unittest.mock import patch

from odoo import http
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WispPortalCase

ATTEMPT_LOGGER = "odoo.addons.wisp_billing.models.wisp_voucher_attempt"


@tagged("post_install", "-at_install")
class TestPortalGiftCard(WispPortalCase):
    """A subscriber redeems a gift card on /my/wallet: its amount lands in the wallet,
    once; wrong codes are refused, counted and throttled like voucher codes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"wisp_voucher_max_failures": 3, "wisp_voucher_failure_minutes": 10})

    def setUp(self):
        super().setUp()
        self.card = self.env["wisp.gift.card"].create({"amount": 30.0, "batch": "PORTAL"})

    def wallet(self, partner):
        partner.invalidate_recordset(["wisp_wallet_balance"])
        return partner.wisp_wallet_balance

    def redeem(self, code, csrf=True):
        data = {"code": code}
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open("/my/wallet/gift-card", data=data, allow_redirects=False)

    def test_redeem_credits_the_wallet_once(self):
        self.authenticate("alice", "alice")
        before = self.wallet(self.alice)
        # typed as people type it: lower case, spaces instead of dashes
        response = self.redeem(self.card.code.lower().replace("-", " "))
        self.assertEqual(response.status_code, 200)
        self.assertIn('id="o_wisp_gift_card_redeemed"', response.text)
        self.assertEqual(self.wallet(self.alice), before + 30.0)
        self.assertEqual(self.card.state, "redeemed")
        self.assertEqual(self.card.partner_id, self.alice)

        self.authenticate("bob", "bob")
        bob_before = self.wallet(self.bob)
        with mute_logger(ATTEMPT_LOGGER):
            response = self.redeem(self.card.code)
        self.assertEqual(response.status_code, 400)
        self.assertIn("already used", response.text)
        self.assertEqual(self.wallet(self.bob), bob_before)
        self.assertEqual(self.card.partner_id, self.alice, "still Alice's")

    @mute_logger(ATTEMPT_LOGGER)
    def test_wrong_codes_are_refused_then_throttled(self):
        self.authenticate("alice", "alice")
        before = self.wallet(self.alice)
        for _attempt in range(3):
            response = self.redeem("AAAA-BBBB-CCCC-DDDD")
            self.assertEqual(response.status_code, 400)
            self.assertIn("not valid", response.text)
        # three failures: refused whatever is typed, even a good code
        response = self.redeem(self.card.code)
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many wrong codes", response.text)
        self.assertEqual(self.card.state, "new")
        self.assertEqual(self.wallet(self.alice), before)
        attempts = self.env["wisp.voucher.attempt"].search([("client_key", "=", "127.0.0.1")])
        self.assertEqual(
            sorted(attempts.mapped("result")), ["throttled", "unknown", "unknown", "unknown"]
        )

    @mute_logger("odoo.http")
    def test_refused_without_login_or_csrf(self):
        self.authenticate(None, None)
        response = self.redeem(self.card.code, csrf=False)
        self.assertIn(response.status_code, (302, 303, 400, 403))
        self.authenticate("alice", "alice")
        response = self.redeem(self.card.code, csrf=False)
        self.assertEqual(response.status_code, 400, "no CSRF token, no credit")
        self.assertEqual(self.card.state, "new")

    def test_expired_card_is_refused(self):
        self.card.expiry_date = "2020-01-31"
        self.authenticate("alice", "alice")
        with mute_logger(ATTEMPT_LOGGER):
            response = self.redeem(self.card.code)
        self.assertEqual(response.status_code, 400)
        self.assertIn("expired", response.text)
        self.assertEqual(self.card.state, "new")

    def test_entry_that_cannot_be_posted_leaves_nothing_behind(self):
        self.authenticate("alice", "alice")

        def refuse(moves):
            raise UserError(moves.env._("The period is locked."))

        Move = self.registry["account.move"]
        with patch.object(Move, "action_post", refuse), mute_logger(ATTEMPT_LOGGER):
            response = self.redeem(self.card.code)
        self.assertEqual(response.status_code, 400)
        self.assertIn("period is locked", response.text)
        self.assertEqual(self.card.state, "new")
        label = f"Gift card {self.card.code}"
        self.assertFalse(self.env["account.move"].search([("ref", "=", label)]), "no draft left")
