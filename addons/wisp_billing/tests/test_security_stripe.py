import json
import logging

from odoo.addons.payment.tests.http_common import PaymentHttpCommon
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_stripe_webhook import WEBHOOK_SECRET, TestStripeWebhook, WispStripeCommon
from .test_voucher import make_prepaid_plan

CONTROLLER_LOGGER = "odoo.addons.wisp_billing.controllers.stripe_webhook"


@tagged("post_install", "-at_install")
class TestSecurityStripeWebhook(WispStripeCommon, PaymentHttpCommon):
    """Stripe events are trusted only when signed with the provider's webhook secret."""

    _sign = TestStripeWebhook._sign
    _post_event = TestStripeWebhook._post_event
    _succeeded_event = TestStripeWebhook._succeeded_event

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = make_prepaid_plan(cls.env, "Webhook Day", duration=1, price=4.0)

    def _purchase_tx(self):
        purchase = self.env["wisp.voucher.purchase"]._wisp_create_purchase(
            self.plan, name="Walk In", email="walk.in@example.com"
        )
        tx = self._stripe_tx(purchase.invoice_id, wisp_voucher_purchase_id=purchase.id)
        return purchase, tx

    def _post_unsigned(self, event, headers=None):
        return self.url_open(
            self._build_url("/payment/stripe/webhook"),
            data=json.dumps(event),
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    @mute_logger("odoo.http")
    def test_unsigned_event_without_webhook_secret_is_refused(self):
        self.stripe.stripe_webhook_secret = False
        purchase, tx = self._purchase_tx()
        event = self._succeeded_event(tx)
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING) as logs:
            response = self._post_unsigned(event, {"Stripe-Signature": "t=1,v1=forged"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("no webhook secret", "\n".join(logs.output))
        self.assertNotIn("forged", "\n".join(logs.output), "the signature is not logged")
        self.assertEqual(tx.state, "pending")
        self.assertFalse(tx.provider_reference)
        self.assertFalse(self._payments_of(tx))
        self.assertEqual(purchase.invoice_id.payment_state, "not_paid")
        self.assertEqual(purchase.state, "draft")
        self.assertFalse(purchase.voucher_id)

        # The same event signed once a secret is set is processed and delivers the code.
        self.stripe.stripe_webhook_secret = WEBHOOK_SECRET
        with mute_logger("odoo.addons.payment_stripe.controllers.main"):
            response = self._post_event(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(purchase.state, "delivered")
        self.assertTrue(purchase.voucher_id)

    @mute_logger("odoo.http", CONTROLLER_LOGGER)
    def test_unsigned_wallet_topup_event_credits_nothing(self):
        self.stripe.stripe_webhook_secret = False
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 30.0, provider=self.stripe, payment_method=self.card
        )
        tx.state = "pending"
        response = self._post_unsigned(self._succeeded_event(tx))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "pending")
        self.assertEqual(self._wallet(), 0.0)

    @mute_logger("odoo.http", CONTROLLER_LOGGER)
    def test_event_without_signature_header_is_refused(self):
        invoice = self._new_invoice(45.0)
        tx = self._stripe_tx(invoice)
        response = self._post_unsigned(self._succeeded_event(tx))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "pending")
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_settings_warn_about_a_missing_webhook_secret(self):
        Settings = self.env["res.config.settings"]
        self.stripe.state = "test"
        self.stripe.stripe_webhook_secret = False
        self.assertIn(self.stripe, Settings.create({}).wisp_stripe_unsigned_provider_ids)
        self.stripe.stripe_webhook_secret = WEBHOOK_SECRET
        self.assertNotIn(self.stripe, Settings.create({}).wisp_stripe_unsigned_provider_ids)
