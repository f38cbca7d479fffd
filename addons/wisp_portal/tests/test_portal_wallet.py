import re

from odoo import Command, http
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import WispPortalCase


@tagged("post_install", "-at_install")
class TestPortalWallet(WispPortalCase):
    def setUp(self):
        super().setUp()
        self.new_service(self.alice, self.plan_20)
        self.new_service(self.bob, self.plan_50)
        Move = self.env["account.move"]
        self.alice_invoice = Move.search([("partner_id", "=", self.alice.id)])
        self.bob_invoice = Move.search([("partner_id", "=", self.bob.id)])
        self.assertTrue(self.alice_invoice.amount_residual and self.bob_invoice.amount_residual)
        self.authenticate("alice", "alice")

    def wallet(self, partner=None):
        partner = partner or self.alice
        partner.invalidate_recordset(["wisp_wallet_balance"])
        return partner.wisp_wallet_balance

    def topup_txs(self):
        return self.env["payment.transaction"].search(
            [("partner_id", "=", self.alice.id), ("wisp_wallet_topup", "=", True)]
        )

    def post(self, url, csrf=True, **data):
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open(url, data=data, allow_redirects=False)

    def test_wallet_page(self):
        self.alice._wisp_wallet_grant(7.0, "promo", "Welcome credit")
        response = self.url_open("/my/wallet")
        self.assertEqual(response.status_code, 200)
        body = response.text
        self.assertIn("Welcome credit", body)
        self.assertIn(f'href="/my/invoices/{self.alice_invoice.id}"', body)
        self.assertIn("o_wisp_wallet_apply", body)
        self.assertIn('id="o_wisp_topup_form"', body)
        self.assertNotIn(self.bob_invoice.name, body)
        self.assertNotIn("Bob Portal", body)

    def test_topup_by_card_credits_the_wallet(self):
        response = self.url_open("/my/wallet/topup?amount=25")
        self.assertEqual(response.status_code, 200)
        body = response.text
        self.assertIn('data-transaction-route="/my/wallet/transaction"', body)
        access_token = re.search(r'data-access-token="([^"]+)"', body).group(1)
        values = self.pay_by_form(
            "/my/wallet/transaction", access_token, "https://evil.example.com", 25
        )
        tx = self.topup_txs()
        self.assertEqual(len(tx), 1)
        self.assertEqual(values["reference"], tx.reference)
        self.assertTrue(tx.reference.startswith(f"WALLET-{self.alice.id}"))
        self.assertEqual((tx.amount, tx.state), (25.0, "draft"))
        self.assertFalse(tx.invoice_ids)
        self.assertTrue(tx.landing_route.startswith("/my/wallet"))
        # the provider confirms the payment on its form, then the status page books it
        self._provider_answers(tx, "done")
        tx._wisp_post_process_now()
        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet(), 25.0)
        self.assertIn(tx.reference, self.url_open("/my/wallet").text)

    def test_topup_bad_amounts(self):
        for amount in ("abc", "0", "-5", "", "nan", "1e9"):
            with self.subTest(amount=amount):
                response = self.url_open(f"/my/wallet/topup?amount={amount}")
                self.assertEqual(response.status_code, 400)
                self.assertIn("o_wisp_form_error", response.text)
                self.assertNotIn("o_payment_form", response.text)

    def test_transaction_route_checks_amount_and_token(self):
        body = self.url_open("/my/wallet/topup?amount=25").text
        access_token = re.search(r'data-access-token="([^"]+)"', body).group(1)
        for amount in (2500, -25, 0, "x"):
            with self.subTest(amount=amount), self.assertRaises(JsonRpcException):
                self.pay_by_form("/my/wallet/transaction", access_token, "/my/wallet", amount)
        with self.assertRaises(JsonRpcException):
            self.pay_by_form(
                "/my/wallet/transaction", access_token, "/my/wallet", 25, invoice_ids=[1]
            )
        self.assertFalse(self.topup_txs())

    def test_apply_wallet_pays_the_invoice(self):
        self.alice._wisp_wallet_grant(500.0, "promo", "Big credit")
        response = self.post("/my/wallet/apply", invoice_id=str(self.alice_invoice.id))
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/wallet?applied={self.alice_invoice.id}", response.headers["Location"])
        self.assertIn(self.alice_invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(self.wallet(), 500.0 - self.alice_invoice.amount_total)
        body = self.url_open(response.headers["Location"]).text
        self.assertIn("o_wisp_wallet_applied", body)

    def test_apply_bad_input(self):
        self.alice._wisp_wallet_grant(500.0, "promo", "Big credit")
        self.bob._wisp_wallet_grant(500.0, "promo", "Bob credit")
        response = self.post("/my/wallet/apply", invoice_id="abc")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Choose one of your open invoices.", response.text)
        for invoice_id in (self.bob_invoice.id, 999999999):
            response = self.post("/my/wallet/apply", invoice_id=str(invoice_id))
            self.assert_refused(response)
            self.assertNotIn(self.bob_invoice.name, response.text)
        response = self.post("/my/wallet/apply", csrf=False, invoice_id=str(self.alice_invoice.id))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.bob_invoice.payment_state, "not_paid")
        self.assertEqual(self.alice_invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet(), 500.0)

    def test_apply_without_balance(self):
        response = self.post("/my/wallet/apply", invoice_id=str(self.alice_invoice.id))
        self.assertEqual(response.status_code, 400)
        self.assertIn("no wallet balance", response.text)
        self.assertEqual(self.alice_invoice.payment_state, "not_paid")

    def history_rows(self, body):
        """(label, in, out) of each row of the wallet history on the page."""
        rows = re.findall(r'<tr class="o_wisp_wallet_movement">(.*?)</tr>', body, re.S)
        return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]

    def test_history_lists_wallet_movements_only(self):
        """An unpaid invoice and the payment made for an invoice are no wallet movement;
        credit that waited (wallet credit, top-up, overpayment) goes in, its use goes out,
        and the movements add up to the balance."""
        service = self.env["wisp.service"].search([("partner_id", "=", self.alice.id)])
        invoice = self.overdue_invoice(service, amount=30.0)
        body = self.url_open("/my/wallet").text
        self.assertFalse(self.history_rows(body), "an unpaid invoice is not in the history")
        self.assertIn("No movement yet.", body)

        self.alice._wisp_wallet_grant(7.0, "promo", "Welcome credit")
        topup = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.alice.id,
                "amount": 10.0,
                "memo": "Top-up at the counter",
            }
        )
        topup.action_post()
        self.assertEqual(self.wallet(), 17.0)
        invoice.action_wisp_apply_wallet()
        self.assertEqual(self.wallet(), 0.0)
        # the rest paid by a payment made for the invoice, with 5.00 too much
        rest = invoice.amount_residual
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": rest + 5.0, "payment_difference_handling": "open"})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.wallet(), 5.0)

        movements = self.alice._wisp_wallet_movements()
        self.assertEqual(
            sorted((m["amount_in"], m["amount_out"]) for m in movements),
            # each credit used goes out on its own line; the invoice's own payment goes
            # in for its overpayment only
            sorted([(7.0, 0.0), (10.0, 0.0), (0.0, 7.0), (0.0, 10.0), (5.0, 0.0)]),
        )
        self.assertNotIn(invoice, [m["move"] for m in movements if m["amount_in"]])
        self.assertAlmostEqual(
            sum(m["amount_in"] - m["amount_out"] for m in movements), self.wallet()
        )
        rows = self.history_rows(self.url_open("/my/wallet").text)
        self.assertEqual(len(rows), 5, rows)
        self.assertIn(f"Paid {invoice.name}", " ".join(rows))
        self.assertIn("Welcome credit", " ".join(rows))
        self.assertNotIn("Bob", " ".join(rows))
        # Bob's wallet history shows none of Alice's movements
        self.authenticate("bob", "bob")
        self.assertFalse(self.history_rows(self.url_open("/my/wallet").text))

    def test_history_of_credit_notes(self):
        """A credit note that cancels its invoice is no wallet movement; one left open is
        credit in the wallet, and goes out when it pays another invoice."""
        service = self.env["wisp.service"].search([("partner_id", "=", self.alice.id)])
        cancelled = self.overdue_invoice(service, amount=20.0)
        cancelled._reverse_moves(cancel=True)
        self.assertEqual(cancelled.payment_state, "reversed")
        self.assertFalse(self.alice._wisp_wallet_movements())

        # a credit of the billing run (credits outweighed charges): no invoice to cancel
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.alice.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Outage credit",
                            "quantity": 1,
                            "price_unit": 12.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        refund.action_post()
        self.assertEqual(self.wallet(), 12.0, "an open credit note is wallet credit")
        movements = self.alice._wisp_wallet_movements()
        self.assertEqual([(m["move"], m["amount_in"]) for m in movements], [(refund, 12.0)])
        self.alice_invoice.action_wisp_apply_wallet()
        movements = self.alice._wisp_wallet_movements()
        self.assertEqual(
            sorted((m["amount_in"], m["amount_out"]) for m in movements),
            [(0.0, min(12.0, self.alice_invoice.amount_total)), (12.0, 0.0)],
        )
        self.assertAlmostEqual(
            sum(m["amount_in"] - m["amount_out"] for m in movements), self.wallet()
        )
