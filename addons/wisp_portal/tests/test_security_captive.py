import contextlib
import html
import re
from datetime import timedelta

from odoo import Command
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from ..controllers.captive import captive_token
from .common import CLIENT_IP, WispPortalCase

FORM_RE = re.compile(r'<form[^>]*id="o_payment_form"[^>]*>')
DATA_RE = re.compile(r'data-([a-z-]+)="([^"]*)"')
PHONE = "+32 470 12 34 56"


@tagged("post_install", "-at_install")
class TestCaptiveSecurity(WispPortalCase):
    """What the anonymous captive page offers: the blocking invoice, paid for exactly what
    is due, with a credential that opens nothing else, and no saved card."""

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.provider.is_published = True
        self.alice.phone = PHONE
        self.service, self.invoice = self.overdue_service(self.alice)
        # a saved card of the subscriber (shown as "•••• 4977")
        self.card = self._create_token(
            provider_id=self.provider.id,
            payment_method_id=self.payment_method_id,
            partner_id=self.alice.id,
            payment_details="4977",
        )
        self.invoice_token = self.invoice._portal_ensure_token()

    def captive_form(self, headers=None):
        """(page, data-* attributes of the payment form) of /captive."""
        response = self.url_open("/captive", headers=headers)
        self.assertEqual(response.status_code, 200)
        form = FORM_RE.search(response.text)
        self.assertTrue(form, "the captive page has a payment form")
        attributes = {name: html.unescape(value) for name, value in DATA_RE.findall(form.group())}
        return response.text, attributes

    def pay(self, invoice, access_token, headers=None, **params):
        """What the payment form does: create the transaction on its transaction route."""
        params = {"amount": 0.01, **params}
        return self.pay_by_form(
            f"/captive/transaction/{invoice.id}",
            access_token,
            "/somewhere-else",
            headers=headers,
            **params,
        )

    def transactions(self, invoice=None):
        return self.env["payment.transaction"].search(
            [("invoice_ids", "in", (invoice or self.invoice).ids)]
        )

    # ------------------------------------------------------- item 1: paying
    def test_form_pays_the_blocking_invoice_on_a_captive_credential(self):
        page, form = self.captive_form()
        self.assertEqual(form["transaction-route"], f"/captive/transaction/{self.invoice.id}")
        self.assertEqual(float(form["amount"]), 30.0)
        self.assertNotEqual(form["access-token"], self.invoice_token)
        self.assertNotIn(self.invoice_token, page, "the invoice's permanent token is not shown")
        self.assertTrue(
            form["landing-route"].startswith(f"/captive/status?invoice_id={self.invoice.id}&")
        )
        # no saved card, no "save my card" for an anonymous visitor
        self.assertNotIn('data-payment-option-type="token"', page)
        self.assertNotIn(self.card.display_name, page)
        self.assertNotIn("o_payment_tokenize_checkbox", page)

    def test_transaction_is_for_the_residual_whatever_is_sent(self):
        _page, form = self.captive_form()
        processing = self.pay(self.invoice, form["access-token"], amount=1000000.0)
        tx = self.transactions()
        self.assertEqual(processing["reference"], tx.reference)
        self.assertEqual(
            (tx.amount, tx.partner_id, tx.invoice_ids, tx.tokenize, tx.landing_route),
            (30.0, self.alice, self.invoice, False, form["landing-route"]),
        )
        self._provider_answers(tx, "done")
        self.make_jsonrpc_request("/payment/status/poll")
        self.env.invalidate_all()
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.service.state, "active")

    def test_partly_paid_invoice_is_paid_for_what_is_left(self):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create({"journal_id": self.bank_journal.id, "amount": 12.0})._create_payments()
        self.assertEqual(self.invoice.amount_residual, 18.0)
        _page, form = self.captive_form()
        self.assertEqual(float(form["amount"]), 18.0)
        self.pay(self.invoice, form["access-token"], amount=30.0)
        self.assertEqual(self.transactions().amount, 18.0)

    @mute_logger("odoo.http")
    def test_saved_card_cannot_be_charged_by_a_visitor(self):
        _page, form = self.captive_form()
        for params in (
            {"flow": "token", "token_id": self.card.id, "payment_method_id": None},
            {"tokenization_requested": True},
        ):
            with self.subTest(params=params):
                with contextlib.suppress(JsonRpcException):
                    self.pay(self.invoice, form["access-token"], **params)
                self.assertFalse(
                    self.transactions().filtered(lambda tx: tx.token_id or tx.tokenize),
                    "no charge of the saved card, no card saved for the subscriber",
                )

    @mute_logger("odoo.http")
    def test_captive_credential_opens_nothing_else(self):
        _page, form = self.captive_form()
        captive = form["access-token"]
        # not the invoice's access token: neither its page, nor its PDF, nor Odoo's payment route
        page = self.url_open(f"/my/invoices/{self.invoice.id}?access_token={captive}")
        self.assertNotIn(self.invoice.name, page.text)
        pdf = self.url_open(
            f"/my/invoices/{self.invoice.id}?report_type=pdf&access_token={captive}"
        )
        self.assertNotIn("application/pdf", pdf.headers.get("Content-Type", ""))
        with self.assertRaises(JsonRpcException):
            self.pay_by_form(f"/invoice/transaction/{self.invoice.id}", captive, "/", 1.0)
        # nor another invoice
        other = self.overdue_invoice(self.new_service(self.bob, ip_address="10.99.0.2"))
        with self.assertRaises(JsonRpcException):
            self.pay(other, captive)
        self.assertEqual(
            self.url_open(
                f"/captive/status?invoice_id={other.id}&access_token={captive}"
            ).status_code,
            404,
        )
        self.assertFalse(self.transactions(other))
        self.assertFalse(self.transactions())

    @mute_logger("odoo.http")
    def test_captive_credential_is_bound_to_the_address_and_expires(self):
        _page, form = self.captive_form()
        captive = form["access-token"]
        status = f"/captive/status?invoice_id={self.invoice.id}&access_token={captive}"
        self.assertEqual(self.url_open(status).status_code, 200)
        # the same credential from another address (a trusted proxy relays it)
        elsewhere = self.via_proxy("10.99.0.9")
        self.assertEqual(self.url_open(status, headers=elsewhere).status_code, 404)
        with self.assertRaises(JsonRpcException):
            self.pay(self.invoice, captive, headers=elsewhere)
        # expired
        expired = captive_token(
            self.env,
            self.invoice.id,
            self.env.ref("base.public_user").id,
            CLIENT_IP,
            expiration=timedelta(minutes=-1),
        )
        self.assertEqual(
            self.url_open(
                f"/captive/status?invoice_id={self.invoice.id}&access_token={expired}"
            ).status_code,
            404,
        )
        with self.assertRaises(JsonRpcException):
            self.pay(self.invoice, expired)
        self.assertFalse(self.transactions())

    def test_logged_in_subscriber_keeps_its_saved_cards(self):
        self.authenticate("alice", "alice")
        page, form = self.captive_form()
        self.assertIn('data-payment-option-type="token"', page)
        self.assertEqual(form["transaction-route"], f"/captive/transaction/{self.invoice.id}")
        self.pay(
            self.invoice,
            form["access-token"],
            flow="token",
            token_id=self.card.id,
            payment_method_id=None,
        )
        tx = self.transactions()
        self.assertEqual((tx.token_id, tx.amount), (self.card, 30.0))

    # ------------------------------------------------- item 2: what it shows
    def test_page_shows_first_name_and_amount_only(self):
        page, form = self.captive_form()
        self.assertIn('o_wisp_captive_name">Alice<', page)
        self.assertIn("o_wisp_captive_amount", page)
        for private in (
            "Alice Portal",
            "alice@example.com",
            PHONE,
            "Antenna Road",
            self.invoice_token,
            self.card.display_name,
            self.service.name,
            self.service.login,
        ):
            self.assertNotIn(private, page)
        self.assertNotIn("partner-id", form, "no partner behind the payment form")

    def test_card_form_is_not_prefilled_with_the_subscriber(self):
        """Stripe's inline form is rendered with the form's partner as billing details."""
        card = self.env.ref("payment.payment_method_card")
        self._prepare_provider(
            "stripe",
            update_values={
                "stripe_secret_key": "sk_test_wisp",
                "stripe_publishable_key": "pk_test_wisp",
                "payment_method_ids": [Command.set(card.ids)],
                "is_published": True,
            },
        )
        card.active = True
        page, _form = self.captive_form()
        self.assertIn("data-stripe-inline-form-values", page)
        for private in ("Alice Portal", "alice@example.com", PHONE, "Antenna Road"):
            self.assertNotIn(private, html.unescape(page))

    # ------------------------------------------ item 4: shared addresses
    def test_address_of_an_active_and_a_limited_account_identifies_nobody(self):
        self.new_service(self.bob, ip_address=CLIENT_IP)
        page = self.url_open("/captive").text
        self.assertIn('data-state="unknown"', page)
        for private in ("Alice", "Bob", self.invoice.name, "o_payment_form"):
            self.assertNotIn(private, page)

    def test_device_address_shared_with_an_active_account_identifies_nobody(self):
        other = self.new_service(self.bob, ip_address="10.99.0.3")
        self.env["wisp.cpe.device"].create(
            {"name": "LiteBeam", "service_id": other.id, "ip_address": CLIENT_IP}
        )
        self.assertIn('data-state="unknown"', self.url_open("/captive").text)

    def test_terminated_service_no_longer_uses_its_address(self):
        gone = self.new_service(self.bob, ip_address=CLIENT_IP)
        gone.action_terminate()
        self.assertIn('o_wisp_captive_name">Alice<', self.url_open("/captive").text)
