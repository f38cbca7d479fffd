import json
import logging

import stripe
from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment_stripe import const as stripe_const
from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.http import request

_logger = logging.getLogger(__name__)

# Events payment_stripe does not handle, verified and processed here with the stripe package.
DISPUTE_EVENTS = ("charge.dispute.created",)


class WispStripeController(StripeController):
    """Stripe's webhook, extended.

    * Payment events keep going through payment_stripe (its own signature check), and a
      transaction the event confirmed is booked at once (account.payment, invoice reconciled,
      services reactivated) instead of at the next post-processing cron.
    * payment_stripe trusts unsigned events when the provider has no webhook secret; here they
      are refused (403): without a secret, payments are confirmed only by Stripe's API (the
      customer's return from the payment page and the status polling fetch the PaymentIntent).
    * Disputes (chargebacks), unknown to payment_stripe, are verified with
      ``stripe.Webhook.construct_event`` against the webhook secret of the Stripe providers and
      reverse the disputed payment. A bad signature is rejected (403) and books nothing.
    """

    @http.route()
    def stripe_webhook(self):
        event = request.get_json_data()
        if event.get("type") in DISPUTE_EVENTS:
            return self._wisp_process_dispute_event()
        response = super().stripe_webhook()
        self._wisp_book_confirmed_transaction(event)
        return response

    def _wisp_book_confirmed_transaction(self, event):
        """Post-process the transaction a (verified) payment event just confirmed."""
        if event.get("type") not in stripe_const.HANDLED_WEBHOOK_EVENTS:
            return
        reference = ((event.get("data") or {}).get("object") or {}).get("description")
        if not reference:
            return
        tx_sudo = (
            request.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", reference), ("provider_code", "=", "stripe")], limit=1)
        )
        # Only an event that passed _verify_signature gets here, and only a transaction already
        # confirmed is booked.
        if not tx_sudo or tx_sudo.state != "done" or tx_sudo.is_post_processed:
            return
        try:
            with request.env.cr.savepoint():
                tx_sudo._wisp_post_process_now()
        except Exception:
            # The transaction is confirmed: the post-processing cron books it later.
            _logger.exception("Could not book transaction %s at once.", tx_sudo.reference)

    def _verify_signature(self, tx_sudo):
        """Refuse events that cannot be verified instead of trusting them.

        payment_stripe skips the check when the provider has no webhook secret, and fails with
        a server error when the signature header is missing: both are refused here.

        :raise Forbidden: when the provider has no webhook secret or the event no signature
        """
        if not tx_sudo:
            return  # No transaction of ours: nothing is processed, the event is acknowledged.
        if not stripe_utils.get_webhook_secret(tx_sudo.provider_id):
            _logger.warning(
                "Stripe event refused: provider %s has no webhook secret to verify it; set the "
                "webhook signing secret on the provider.",
                tx_sudo.provider_id.id,
            )
            raise Forbidden()
        if not request.httprequest.headers.get("Stripe-Signature"):
            _logger.warning("Stripe event without signature rejected.")
            raise Forbidden()
        return super()._verify_signature(tx_sudo)

    def _wisp_verify_event(self):
        """Return the event verified with the webhook secret of a Stripe provider.

        :return: (event dict, provider)
        :raise Forbidden: when no Stripe provider's secret verifies the signature
        """
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        if not signature:
            _logger.warning("Stripe event without signature rejected.")
            raise Forbidden()
        providers = (
            request.env["payment.provider"]
            .sudo()
            .search([("code", "=", "stripe"), ("state", "!=", "disabled")])
        )
        for provider in providers:
            secret = stripe_utils.get_webhook_secret(provider)
            if not secret:
                continue
            try:
                stripe.Webhook.construct_event(payload, signature, secret)
            except (stripe.SignatureVerificationError, ValueError):
                continue
            return json.loads(payload), provider
        _logger.warning("Stripe event with an invalid signature rejected.")
        raise Forbidden()

    def _wisp_process_dispute_event(self):
        event, provider = self._wisp_verify_event()
        dispute = event["data"]["object"]
        _logger.info(
            "Stripe dispute %s received for %s.", dispute.get("id"), dispute.get("payment_intent")
        )
        tx_sudo = (
            request.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("provider_id", "=", provider.id),
                    ("provider_reference", "=", dispute.get("payment_intent")),
                    ("operation", "!=", "refund"),
                ],
                limit=1,
            )
        )
        if not tx_sudo:
            _logger.warning(
                "No transaction matches the disputed payment %s.", dispute.get("payment_intent")
            )
            return request.make_json_response("")
        amount = None
        if dispute.get("amount") is not None:
            amount = payment_utils.to_major_currency_units(
                dispute["amount"],
                tx_sudo.currency_id,
                arbitrary_decimal_number=stripe_const.CURRENCY_DECIMALS.get(
                    tx_sudo.currency_id.name
                ),
            )
        tx_sudo._wisp_register_dispute(dispute["id"], amount=amount, reason=dispute.get("reason"))
        return request.make_json_response("")
