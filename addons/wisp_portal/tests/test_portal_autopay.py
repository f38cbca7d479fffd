from odoo import http
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WispPortalCase


@tagged("post_install", "-at_install")
class TestPortalAutopay(WispPortalCase):
    """Autopay on and off from the dashboard, with one of the subscriber's saved cards."""

    def setUp(self):
        super().setUp()
        self.new_service(self.alice)
        self.alice_card = self._card_token(partner=self.alice)
        self.bob_card = self._card_token(partner=self.bob)
        self.authenticate("alice", "alice")

    def post(self, csrf=True, **data):
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open("/my/autopay", data=data, allow_redirects=False)

    def test_offers_own_cards_only(self):
        body = self.url_open("/my/services").text
        self.assertIn('id="o_wisp_autopay"', body)
        self.assertIn('data-enabled="0"', body)
        self.assertIn(f'<option value="{self.alice_card.id}"', body)
        self.assertNotIn(f'value="{self.bob_card.id}"', body)

    def test_turn_on_then_off(self):
        response = self.post(autopay="on", token_id=str(self.alice_card.id))
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/services?message=autopay_on", response.headers["Location"])
        self.assertTrue(self.alice.wisp_autopay)
        self.assertEqual(self.alice.wisp_autopay_token_id, self.alice_card)
        self.assertIn("Autopay turned on", self.alice.message_ids[:1].body)
        self.assertEqual(self.alice.message_ids[:1].author_id, self.alice, "the subscriber did it")
        body = self.url_open(response.headers["Location"]).text
        self.assertIn('data-enabled="1"', body)
        self.assertIn("o_wisp_autopay_card", body)
        # the autopay cron now charges this card for the account's recurring invoices
        invoice = self.env["account.move"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual(invoice._wisp_autopay_token(), self.alice_card)

        response = self.post(autopay="off")
        self.assertEqual(response.status_code, 303)
        self.assertFalse(self.alice.wisp_autopay)
        self.assertFalse(invoice._wisp_autopay_token())
        self.assertIn("Autopay turned off", self.alice.message_ids[:1].body)

    def test_refusals(self):
        # another subscriber's card, by id: refused, nothing changes
        with mute_logger("odoo.http"):
            response = self.post(autopay="on", token_id=str(self.bob_card.id))
        self.assert_refused(response)
        self.assertNotIn("Bob Portal", response.text)
        self.assertFalse(self.alice.wisp_autopay)
        self.assertFalse(self.bob.wisp_autopay)
        # no card chosen, or an unknown choice: the page again with the error
        response = self.post(autopay="on")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Choose the card to charge.", response.text)
        response = self.post(autopay="maybe", token_id=str(self.alice_card.id))
        self.assertEqual(response.status_code, 400)
        # without the CSRF token
        response = self.post(csrf=False, autopay="on", token_id=str(self.alice_card.id))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.alice.wisp_autopay)
        # a removed card cannot be chosen
        self.alice_card.active = False
        with mute_logger("odoo.http"):
            response = self.post(autopay="on", token_id=str(self.alice_card.id))
        self.assert_refused(response)
        self.assertFalse(self.alice.wisp_autopay)

    def test_model_refuses_a_card_of_another_account(self):
        with self.assertRaises(UserError):
            self.alice._wisp_set_autopay(self.bob_card)
        self.assertFalse(self.alice.wisp_autopay)

    def test_without_card_links_to_saving_one(self):
        self.alice_card.active = False
        body = self.url_open("/my/services").text
        self.assertNotIn('id="o_wisp_autopay_form"', body)
        self.assertIn('href="/my/payment_method"', body)
