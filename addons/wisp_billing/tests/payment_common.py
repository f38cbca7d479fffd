from unittest.mock import patch

from odoo import Command
from odoo.addons.account_payment.tests.common import AccountPaymentCommon


class WispPaymentCommon(AccountPaymentCommon):
    """A subscriber, a card provider booking in the bank journal, invoice helpers.

    The provider is the dummy one of Odoo's ``payment`` tests (``PaymentCommon``,
    code ``none``), so no provider module (``payment_demo``) is needed: the test
    plays the provider. :meth:`_provider_answers` is what its notification
    (webhook, return from its form) does to a transaction; a saved card is charged
    with the answer :meth:`_card_answers` set for it (``done`` unless told).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.currency = cls.company.currency_id
        # AccountPaymentCommon books it in the bank journal, saving cards allowed
        cls.provider.journal_id = cls.bank_journal

        cls.subscriber = cls.env["res.partner"].create(
            {
                "name": "Card Subscriber",
                "email": "card.subscriber@example.com",
                "is_company": True,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Card Contact",
                "email": "card.contact@example.com",
                "parent_id": cls.subscriber.id,
            }
        )
        cls.partner = cls.subscriber

    def setUp(self):
        super().setUp()
        self.card_answers = {}  # token id -> the provider's answer to a charge
        Transaction = self.registry["payment.transaction"]
        send_payment_request = Transaction._send_payment_request

        def charge(tx):
            if tx.provider_id != self.provider:
                return send_payment_request(tx)
            return self._provider_answers(tx, self.card_answers.get(tx.token_id.id, "done"))

        self.startPatcher(patch.object(Transaction, "_send_payment_request", charge))

    def _new_invoice(self, amount=100.0, due="2030-03-10", partner=None, recurring=True):
        """A posted invoice; ``recurring``: a subscription cycle's (autopay charges those)."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.subscriber).id,
                "invoice_date": due,
                "invoice_date_due": due,
                "wisp_cycle_start": due if recurring else False,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Internet 20 Mbps",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _card_token(self, answer="done", partner=None):
        """A saved card of ``partner`` (the subscriber) that the provider answers
        ``answer`` (done, pending, cancel or error) when charged."""
        token = self._create_token(
            provider_id=self.provider.id,
            payment_method_id=self.payment_method_id,
            partner_id=(partner or self.subscriber).id,
        )
        self._card_answers(token, answer)
        return token

    def _card_answers(self, token, answer):
        self.card_answers[token.id] = answer

    def _provider_answers(self, tx, answer="done"):
        """The provider's notification about ``tx``: done, pending, cancel or error."""
        if answer == "done":
            tx._set_done()
        elif answer == "pending":
            tx._set_pending()
        elif answer == "cancel":
            tx._set_canceled()
        else:
            tx._set_error("The card was declined.")
        return tx

    def _payments_of(self, tx):
        return self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])

    def _wallet(self, partner=None):
        partner = partner or self.subscriber
        partner.invalidate_recordset(["wisp_wallet_balance"])
        return partner.wisp_wallet_balance
