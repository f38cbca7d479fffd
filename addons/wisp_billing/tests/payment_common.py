from odoo import Command
from odoo.addons.account_payment.tests.common import AccountPaymentCommon


class WispPaymentCommon(AccountPaymentCommon):
    """A subscriber, a demo provider booking in the bank journal, invoice helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.currency = cls.company.currency_id
        cls.demo = cls._prepare_provider("demo", update_values={"allow_tokenization": True})
        cls.demo.journal_id = cls.bank_journal
        cls.provider = cls.demo
        cls.payment_method = cls.demo.payment_method_ids.filtered("active")[:1]
        cls.payment_method_id = cls.payment_method.id
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

    def _demo_token(self, state="done", partner=None):
        return self._create_token(
            provider_id=self.demo.id,
            payment_method_id=self.payment_method_id,
            partner_id=(partner or self.subscriber).id,
            demo_simulated_state=state,
        )

    def _payments_of(self, tx):
        return self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])

    def _wallet(self, partner=None):
        partner = partner or self.subscriber
        partner.invalidate_recordset(["wisp_wallet_balance"])
        return partner.wisp_wallet_balance
