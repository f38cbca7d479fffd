import hashlib
import hmac
import json
import time
from unittest.mock import patch

from odoo import Command
from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.tests.http_common import PaymentHttpCommon
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import WispPaymentCommon

WEBHOOK_SECRET = "whsec_wisp_test_0123456789abcdef"  # noqa: S105 - test fixture
FORGED_SECRET = "whsec_forged"  # noqa: S105 - test fixture
PAYMENT_INTENT = "pi_wisp_0001"
API_REQUEST = "odoo.addons.payment.models.payment_provider.PaymentProvider._send_api_request"


def _no_network(*_args, **_kwargs):
    raise AssertionError("No call to the Stripe API is expected here")


class WispStripeCommon(WispPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe = cls._prepare_provider(
            "stripe",
            update_values={
                "stripe_secret_key": "sk_test_wisp",
                "stripe_publishable_key": "pk_test_wisp",
                "stripe_webhook_secret": WEBHOOK_SECRET,
            },
        )
        cls.stripe.journal_id = cls.bank_journal
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.card.active = True
        cls.stripe.payment_method_ids = [Command.link(cls.card.id)]

    def _stripe_tx(self, invoice, state="pending", **values):
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "operation": "online_direct",
                    "invoice_ids": [Command.set(invoice.ids)],
                    "state": state,
                    **values,
                }
            )
        )

    def _minor(self, amount):
        return payment_utils.to_minor_currency_units(amount, self.currency)


@tagged("post_install", "-at_install")
class TestStripeWebhook(WispStripeCommon, PaymentHttpCommon):
    def _sign(self, payload, secret=WEBHOOK_SECRET, timestamp=None):
        timestamp = timestamp or int(time.time())
        signature = hmac.new(
            secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
        ).hexdigest()
        return f"t={timestamp},v1={signature}"

    def _post_event(self, event, secret=WEBHOOK_SECRET):
        payload = json.dumps(event)
        with patch(API_REQUEST, _no_network):
            return self.url_open(
                self._build_url(StripeController._webhook_url),
                data=payload,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": self._sign(payload, secret=secret),
                },
            )

    def _succeeded_event(self, tx):
        return {
            "id": "evt_wisp_succeeded",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": PAYMENT_INTENT,
                    "object": "payment_intent",
                    "description": tx.reference,
                    "status": "succeeded",
                    "amount": self._minor(tx.amount),
                    "currency": tx.currency_id.name.lower(),
                    "payment_method": "pm_wisp_card",
                    "customer": "cus_wisp",
                }
            },
        }

    def _dispute_event(self, tx, dispute_id="dp_wisp_0001", amount=None):
        return {
            "id": f"evt_{dispute_id}",
            "object": "event",
            "type": "charge.dispute.created",
            "data": {
                "object": {
                    "id": dispute_id,
                    "object": "dispute",
                    "amount": self._minor(tx.amount if amount is None else amount),
                    "currency": tx.currency_id.name.lower(),
                    "charge": "ch_wisp_0001",
                    "payment_intent": PAYMENT_INTENT,
                    "reason": "fraudulent",
                    "status": "needs_response",
                }
            },
        }

    @mute_logger("odoo.addons.payment_stripe.controllers.main")
    def test_payment_intent_succeeded_books_the_payment_once(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        event = self._succeeded_event(tx)

        response = self._post_event(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, PAYMENT_INTENT)
        self.assertTrue(tx.is_post_processed, "Booked at once, not at the next cron")
        self.assertEqual(len(self._payments_of(tx)), 1)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

        # Stripe delivers the same event again.
        response = self._post_event(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._payments_of(tx)), 1)
        self.assertFalse(invoice.amount_residual)

    @mute_logger("odoo.addons.payment_stripe.controllers.main", "odoo.http")
    def test_bad_signature_is_rejected_and_books_nothing(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        response = self._post_event(self._succeeded_event(tx), secret=FORGED_SECRET)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self._payments_of(tx))
        self.assertEqual(invoice.payment_state, "not_paid")

    @mute_logger("odoo.addons.payment_stripe.controllers.main")
    def test_dispute_reverses_the_payment(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        self._post_event(self._succeeded_event(tx))
        payment = tx.payment_id
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

        response = self._post_event(self._dispute_event(tx))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.wisp_dispute_ref, "dp_wisp_0001")
        reversal = tx.wisp_dispute_move_id
        self.assertEqual(reversal.reversed_entry_id, payment.move_id)
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(payment.move_id.state, "posted", "Reversed, not deleted")
        self.assertEqual(payment.state, "rejected")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(invoice.amount_residual, 45.0)
        self.assertTrue(self.subscriber.wisp_payment_flagged)
        self.assertFalse(self._wallet(), "The chargeback leaves no credit behind")
        notes = self.subscriber.message_ids.filtered(lambda m: "dp_wisp_0001" in (m.body or ""))
        self.assertEqual(len(notes), 1)

        # Stripe delivers the dispute again: nothing more happens.
        response = self._post_event(self._dispute_event(tx))
        self.assertEqual(response.status_code, 200)
        reversals = self.env["account.move"].search(
            [("reversed_entry_id", "=", payment.move_id.id)]
        )
        self.assertEqual(reversals, reversal)
        self.assertEqual(invoice.amount_residual, 45.0)
        notes = self.subscriber.message_ids.filtered(lambda m: "dp_wisp_0001" in (m.body or ""))
        self.assertEqual(len(notes), 1)

    @mute_logger("odoo.addons.wisp_billing.controllers.stripe_webhook", "odoo.http")
    def test_dispute_with_bad_signature_does_nothing(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        self._post_event(self._succeeded_event(tx))
        response = self._post_event(self._dispute_event(tx), secret=FORGED_SECRET)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(tx.wisp_dispute_ref)
        self.assertNotEqual(tx.payment_id.state, "rejected")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(self.subscriber.wisp_payment_flagged)

    @mute_logger("odoo.addons.payment_stripe.controllers.main")
    def test_dispute_of_wallet_topup_removes_the_credit(self):
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 30.0, provider=self.stripe, payment_method=self.card
        )
        tx.state = "pending"
        self._post_event(self._succeeded_event(tx))
        self.assertEqual(self._wallet(), 30.0)
        self._post_event(self._dispute_event(tx, dispute_id="dp_wisp_wallet"))
        self.assertEqual(self._wallet(), 0.0)
        self.assertEqual(tx.payment_id.state, "rejected")

    @mute_logger("odoo.addons.wisp_billing.models.payment_transaction")
    def test_partial_dispute_is_left_to_the_billing_team(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        self._post_event(self._succeeded_event(tx))
        self._post_event(self._dispute_event(tx, amount=10.0))
        self.assertEqual(tx.wisp_dispute_ref, "dp_wisp_0001")
        self.assertFalse(tx.wisp_dispute_move_id)
        self.assertNotEqual(tx.payment_id.state, "rejected")
        self.assertTrue(self.subscriber.wisp_payment_flagged)
        self.assertTrue(self.subscriber.activity_ids)


@tagged("post_install", "-at_install")
class TestStripeAutopay(WispStripeCommon):
    """The autopay charge through payment_stripe, the Stripe API mocked at its edge."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.env["payment.token"].create(
            {
                "provider_id": cls.stripe.id,
                "payment_method_id": cls.card.id,
                "partner_id": cls.subscriber.id,
                "payment_details": "4242",
                "provider_ref": "cus_wisp",
                "stripe_payment_method": "pm_wisp_card",
            }
        )
        cls.subscriber.write({"wisp_autopay": True, "wisp_autopay_token_id": cls.token.id})

    def _stripe_answer(self, status, **extra):
        calls = []

        def answer(_provider, method, endpoint, **kwargs):
            calls.append((method, endpoint, kwargs))
            intent = {
                "id": PAYMENT_INTENT,
                "object": "payment_intent",
                "status": status,
                "amount": kwargs["data"]["amount"],
                "currency": kwargs["data"]["currency"],
                "payment_method": "pm_wisp_card",
                **extra,
            }
            return intent

        return answer, calls

    def test_stripe_autopay_success(self):
        invoice = self._new_invoice(60.0, due="2030-03-10")
        answer, calls = self._stripe_answer("succeeded")
        with patch(API_REQUEST, answer):
            tx = invoice._wisp_autopay_charge()
        self.assertEqual(len(calls), 1)
        method, endpoint, kwargs = calls[0]
        self.assertEqual((method, endpoint), ("POST", "payment_intents"))
        self.assertTrue(kwargs["offline"])
        self.assertEqual(kwargs["data"]["customer"], "cus_wisp")
        self.assertEqual(kwargs["data"]["payment_method"], "pm_wisp_card")
        self.assertTrue(kwargs["data"]["off_session"])
        self.assertEqual(kwargs["data"]["description"], tx.reference)
        self.assertTrue(kwargs["idempotency_key"])
        self.assertEqual(tx.state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_stripe_autopay_declined(self):
        invoice = self._new_invoice(60.0, due="2030-03-10")
        answer, _calls = self._stripe_answer(
            "requires_payment_method",
            last_payment_error={"message": "Your card was declined."},
        )
        with patch(API_REQUEST, answer):
            tx = invoice._wisp_autopay_charge()
        self.assertEqual(tx.state, "error")
        self.assertEqual(tx.state_message, "Your card was declined.")
        self.assertEqual(invoice.wisp_autopay_attempts, 1)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_stripe_autopay_needing_authentication_is_a_failure(self):
        invoice = self._new_invoice(60.0, due="2030-03-10")
        answer, _calls = self._stripe_answer("requires_action")
        with patch(API_REQUEST, answer):
            tx = invoice._wisp_autopay_charge()
        self.assertEqual(tx.provider_reference, PAYMENT_INTENT)
        self.assertEqual(tx.state, "error")
        self.assertEqual(invoice.wisp_autopay_attempts, 1)
        self.assertTrue(invoice.wisp_autopay_next_date)
