import re

from odoo.addons.wisp_billing.tests.common import code_mail
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import WispPortalCase
from .test_hotspot import CSRF_RE


@tagged("post_install", "-at_install")
class TestAccessCodePurchase(WispPortalCase):
    """Buying an access code by card on the hotspot page."""

    def setUp(self):
        super().setUp()
        self.batch = self.env["wisp.voucher.batch"].create(
            {"name": "Online stock", "plan_id": self.plan_prepaid.id, "quantity": 2}
        )
        self.batch.action_generate()

    def buy(self, **data):
        page = self.url_open(f"/hotspot/buy?plan_id={self.plan_prepaid.id}")
        self.assertEqual(page.status_code, 200)
        csrf = CSRF_RE.search(page.text).group(1)
        return self.url_open("/hotspot/buy", data={"csrf_token": csrf, **data})

    def purchase_of(self, email):
        return self.env["wisp.voucher.purchase"].search([("partner_id.email", "=", email)])

    def pay(self, purchase, access_token=None):
        """What the payment form does: create the transaction through the purchase's route."""
        return self.pay_by_form(
            f"/hotspot/purchase/{purchase.id}/transaction",
            access_token or purchase.access_token,
            "/somewhere-else",
            0.01,  # ignored: the invoice sets the amount
        )

    def simulate(self, reference, state):
        self._provider_answers(self._get_tx(reference), state)

    def messages_of(self, purchase):
        return (
            self.env["wisp.message"]
            .sudo()
            .search(
                [
                    ("event_id.code", "=", "access_code_bought"),
                    ("res_model", "=", purchase._name),
                    ("res_id", "=", purchase.id),
                ]
            )
        )

    def assert_code_sent(self, purchase, voucher, email):
        """One message, sent by the outbox's cron to the buyer, with the code."""
        message = self.messages_of(purchase)
        self.assertEqual(len(message), 1)
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(message.state, "sent", message.last_error)
        mail = code_mail(self.env, purchase)
        self.assertIn(voucher.code, mail.body_html)
        self.assertEqual(mail.recipient_ids.email, email)

    def test_buy_pay_and_get_the_code(self):
        response = self.buy(
            plan_id=str(self.plan_prepaid.id), name="Walk In", email="walk.in@example.com"
        )
        self.assertEqual(response.status_code, 200)
        purchase = self.purchase_of("walk.in@example.com")
        self.assertEqual(len(purchase), 1)
        landing = f"/hotspot/purchase/{purchase.id}?access_token={purchase.access_token}"
        self.assertTrue(response.url.endswith(landing))
        self.assertIn('id="o_payment_form"', response.text)
        self.assertIn(
            f'data-transaction-route="/hotspot/purchase/{purchase.id}/transaction"', response.text
        )
        self.assertNotIn("o_wisp_purchase_code", response.text)
        invoice = purchase.invoice_id
        self.assertEqual((invoice.state, invoice.amount_total), ("posted", 2.0))

        values = self.pay(purchase)
        tx = purchase.transaction_ids
        self.assertEqual(values["reference"], tx.reference)
        self.assertEqual(
            (tx.amount, tx.invoice_ids, tx.partner_id), (2.0, invoice, purchase.partner_id)
        )
        self.assertTrue(
            tx.landing_route.startswith(f"/hotspot/purchase/{purchase.id}?access_token=")
        )

        self.simulate(tx.reference, "pending")
        page = self.url_open(landing)
        self.assertIn("o_wisp_purchase_waiting", page.text)
        self.assertIn('http-equiv="refresh"', page.text)
        self.assertNotIn("o_wisp_purchase_code", page.text)
        self.assertFalse(purchase.voucher_id)
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.pay(purchase)  # no second payment while one is under way

        self.simulate(tx.reference, "done")
        page = self.url_open(landing)
        self.assertEqual(purchase.state, "delivered")
        voucher = purchase.voucher_id
        self.assertEqual(voucher.batch_id, self.batch)
        self.assertIn('id="o_wisp_purchase_code"', page.text)
        self.assertIn(voucher.code, page.text)
        self.assertNotIn('http-equiv="refresh"', page.text)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(tx.payment_id), 1)
        self.assert_code_sent(purchase, voucher, "walk.in@example.com")

        # processed again (status page, cron, a second notification): delivered once
        self.simulate(tx.reference, "done")
        tx._post_process()
        tx.is_post_processed = False
        tx._post_process()
        self.url_open(landing)
        self.assertEqual(purchase.voucher_id, voucher)
        self.assertEqual(self.batch.voucher_ids.mapped("state").count("sold"), 1)
        self.assertEqual(len(self.messages_of(purchase)), 1)
        self.assertEqual(
            len(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1
        )

        # the code then works on the hotspot page
        redeem = self.url_open(f"/hotspot?code={voucher.code}")
        self.assertIn(f'value="{voucher.code}"', redeem.text)

    def test_form_sent_twice_makes_one_purchase(self):
        data = {"plan_id": str(self.plan_prepaid.id), "name": "Twice", "email": "twice@example.com"}
        first = self.buy(**data)
        second = self.buy(**data)
        purchase = self.purchase_of("twice@example.com")
        self.assertEqual(len(purchase), 1, "one partner, one posted invoice")
        self.assertEqual(first.url, second.url, "back on the same checkout")
        self.buy(**{**data, "email": "other@example.com"})
        self.assertEqual(len(self.purchase_of("other@example.com")), 1, "another buyer")

    def test_access_token_is_required(self):
        self.buy(plan_id=str(self.plan_prepaid.id), name="Walk In", email="walk.in@example.com")
        purchase = self.purchase_of("walk.in@example.com")
        self.opener.cookies.clear()
        for url in (
            f"/hotspot/purchase/{purchase.id}",
            f"/hotspot/purchase/{purchase.id}?access_token=wrong",
            f"/hotspot/purchase/{purchase.id + 1000}?access_token={purchase.access_token}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn("Walk In", response.text)
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.pay(purchase, "wrong")
        self.assertFalse(purchase.transaction_ids)
        # another subscriber's session does not open it either
        self.authenticate("bob", "bob")
        self.assertEqual(self.url_open(f"/hotspot/purchase/{purchase.id}").status_code, 404)

    def test_invalid_form_is_shown_again(self):
        response = self.buy(plan_id=str(self.plan_prepaid.id), name="", email="walk.in@")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.text.count("o_wisp_field_error"), 2)
        self.assertIn('value="walk.in@"', response.text)
        self.assertFalse(self.purchase_of("walk.in@"))
        response = self.buy(plan_id=str(self.plan_20.id), name="Walk In", email="w@example.com")
        self.assertEqual(response.status_code, 400, "only prepaid plans sold online")
        self.assertIn('value="Walk In"', response.text)
        self.assertFalse(self.purchase_of("w@example.com"))

    def test_logged_in_subscriber_buys_for_its_account(self):
        self.authenticate("alice", "alice")
        response = self.buy(plan_id=str(self.plan_prepaid.id))
        self.assertEqual(response.status_code, 200)
        purchase = self.env["wisp.voucher.purchase"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual(len(purchase), 1)
        self.assertFalse(self.alice.wisp_anonymous_prepaid)
        self.assertEqual(purchase.invoice_id.partner_id, self.alice)
        page = self.url_open("/my/access-codes")
        self.assertIn(purchase.name, page.text)
        self.assertIn(purchase.access_token, page.text)

    def test_price_on_sale_is_what_the_purchase_charges(self):
        """A taxed access code is offered at the price its invoice charges, tax included."""
        self.plan_prepaid.taxes_id = self.env["account.tax"].create(
            {
                "name": "Hotspot VAT 10",
                "amount": 10.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        plan_id = self.plan_prepaid.id
        for url, pattern in (
            ("/hotspot", rf'data-plan-id="{plan_id}"'),
            (f"/hotspot/buy?plan_id={plan_id}", rf'<option value="{plan_id}"'),
        ):
            with self.subTest(url=url):
                page = self.url_open(url).text
                price = re.search(pattern + r'[\s\S]*?oe_currency_value">([\d.]+)<', page)
                self.assertEqual(price.group(1), "2.20")
        self.buy(plan_id=str(self.plan_prepaid.id), name="Walk In", email="walk.in@example.com")
        self.assertAlmostEqual(self.purchase_of("walk.in@example.com").invoice_id.amount_total, 2.2)
