"""What every anonymous route shows a visitor who is not logged in.

The anonymous routes (``auth="public"`` / ``"none"`` in our addons, and Odoo's routes our
pages send visitors to), each rendered below where subscriber data could leak:

* ``/captive`` (GET): from a limited subscriber's address, a shared address, any address;
* ``/captive/transaction/<id>`` (JSON-RPC) and ``/captive/status`` (GET), then Odoo's
  ``/payment/status`` and ``/payment/status/poll`` after paying there;
* ``/hotspot``, ``/hotspot/redeem``, ``/hotspot/register``, ``/hotspot/buy`` (GET/POST);
* ``/hotspot/purchase/<id>`` (GET, by its link) and its ``/transaction`` (JSON-RPC);
* ``/access-codes/where-to-buy``; ``/connect`` (GET, also with a referral link, and POST);
* wisp_billing's ``/payment/stripe/webhook`` (POST);
* Odoo's ``/my/invoices/<id>`` and ``/invoice/transaction/<id>``, which the captive
  credential must not open.

None may show a subscriber's e-mail, phone, street, last name, access tokens or saved card,
nor another subscriber's name.
"""

import html
import json
import re

from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import CLIENT_IP, ROUTER_LOGIN
from .test_hotspot import CSRF_RE, HotspotCase

LANDING_RE = re.compile(r'data-landing-route="([^"]+)"')
ACCESS_TOKEN_RE = re.compile(r'data-access-token="([^"]+)"')
# the demo subscriber (wisp_subscriber's demo data), as a fixture of its own
EMMA = {
    "name": "Emma Lawson",
    "email": "emma.lawson@example.com",
    "phone": "+1 217 555 7468",
    "street": "341 Cedar Ln",
    "city": "Springfield",
    "zip": "62701",
}


@tagged("post_install", "-at_install")
class TestAnonymousDisclosure(HotspotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        details = {key: value for key, value in EMMA.items() if key != "name"}
        cls.emma_user = cls._portal_user("emma", EMMA["name"], **details)
        cls.emma = cls.emma_user.partner_id

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.card = self._create_token(
            provider_id=self.provider.id,
            payment_method_id=self.payment_method_id,
            partner_id=self.emma.id,
            payment_details="4977",
        )
        self.referral_code = self.emma._wisp_referral_code_get()

    def private(self):
        """What no anonymous page may show (tokens are read at the time of the check)."""
        invoices = self.env["account.move"].search([("partner_id", "=", self.emma.id)])
        services = self.env["wisp.service"].search([("partner_id", "=", self.emma.id)])
        return [
            EMMA["email"],
            EMMA["phone"],
            EMMA["street"],
            "Lawson",
            self.card.display_name,
            "Bob Portal",
            "bob@example.com",
            *filter(None, invoices.mapped("access_token")),
            *services.mapped("login"),
            *services.mapped("name"),
            *filter(None, services.sudo().mapped("network_password")),
        ]

    def assert_discloses_nothing(self, text, what):
        text = html.unescape(text)
        for private in self.private():
            if private.isdigit():
                # card digits count on their own, not inside the page's random CSRF token
                # or asset hashes (a flaky match otherwise)
                found = re.search(rf"(?<![0-9A-Za-z]){private}(?![0-9A-Za-z])", text)
                self.assertFalse(found, f"{what}: {private}")
            else:
                self.assertNotIn(private, text, what)
        self.assertNotIn("data-partner-id", text, f"{what}: no partner behind a payment form")

    def get(self, url, what, status=200, **kwargs):
        response = self.url_open(url, **kwargs)
        self.assertEqual(response.status_code, status, what)
        self.assert_discloses_nothing(response.text, what)
        return response.text

    # ---------------------------------------------------------------- captive
    def test_captive_from_a_limited_subscribers_address(self):
        _service, invoice = self.overdue_service(self.emma)
        page = self.get("/captive", "captive, by address")
        self.assertIn('o_wisp_captive_name">Emma<', page)
        self.get(f"/captive?invoice_id={invoice.id}", "captive, invoice chosen")
        landing = html.unescape(LANDING_RE.search(page).group(1))
        captive_token = ACCESS_TOKEN_RE.search(page).group(1)
        self.get(landing, "captive status, unpaid")

        processing = self.pay_by_form(
            f"/captive/transaction/{invoice.id}", captive_token, landing, 30.0
        )
        self.assert_discloses_nothing(json.dumps(processing), "captive transaction")
        self._provider_answers(self._get_tx(processing["reference"]), "done")
        self.get("/payment/status", "payment status page")
        poll = self.make_jsonrpc_request("/payment/status/poll")
        self.assert_discloses_nothing(json.dumps(poll), "payment status poll")
        self.get(landing, "captive status, restoring")
        self.run_jobs()
        self.assertIn('data-status="restored"', self.get(landing, "captive status, restored"))

        # what the captive credential does not open (Odoo's invoice routes)
        with mute_logger("odoo.http"):
            self.get(f"/my/invoices/{invoice.id}?access_token={captive_token}", "invoice page")
            self.get(
                f"/my/invoices/{invoice.id}?report_type=pdf&access_token={captive_token}",
                "invoice PDF",
            )
            with self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    f"/invoice/transaction/{invoice.id}", {"access_token": captive_token}
                )

    def test_captive_from_a_shared_address(self):
        self.overdue_service(self.emma)
        self.overdue_service(self.bob)
        page = self.get("/captive", "captive, shared address")
        self.assertIn('data-state="unknown"', page)
        self.assertNotIn("Emma", page)
        self.assertNotIn("Bob", page)

    def test_captive_from_an_address_shared_with_an_active_account(self):
        self.overdue_service(self.emma)
        self.new_service(self.bob, ip_address=CLIENT_IP)
        page = self.get("/captive", "captive, shared with an active account")
        self.assertNotIn("Emma", page)

    def test_captive_from_anywhere_else(self):
        self.overdue_service(self.emma, ip_address="10.99.0.11")
        page = self.get("/captive", "captive, unknown address")
        self.assertNotIn("Emma", page)

    # ---------------------------------------------------------------- hotspot
    @mute_logger("odoo.addons.wisp_billing.models.wisp_voucher_attempt")
    def test_hotspot_pages(self):
        self.new_service(self.emma, self.plan_prepaid)
        code = self.vouchers[0].code
        page = self.get(f"/hotspot?code={code}&link-login-only={ROUTER_LOGIN}", "hotspot")
        csrf = CSRF_RE.search(page).group(1)
        self.get("/hotspot/register", "register without an account", status=404)
        self.get(
            "/hotspot/redeem",
            "hotspot, wrong code",
            status=400,
            data={"code": "WRONG", "csrf_token": csrf},
        )
        page = self.get(
            "/hotspot/redeem", "hotspot, code accepted", data={"code": code, "csrf_token": csrf}
        )
        self.assertIn("o_wisp_hotspot_password", page, "the visitor's own new credentials")
        self.get("/hotspot/register", "register form")
        self.get(
            "/hotspot/register",
            "register, wrong e-mail",
            status=400,
            data={"name": "Visitor", "email": "nope", "csrf_token": csrf},
        )
        self.get("/hotspot/buy", "buy form")
        self.get(
            "/hotspot/buy",
            "buy, errors",
            status=400,
            data={"plan_id": "0", "name": "", "email": "", "csrf_token": csrf},
        )

    def _emma_checkout(self):
        """Emma buys a day pass on the hotspot page, logged in: her purchase."""
        self.authenticate("emma", "emma")
        page = self.url_open(f"/hotspot/buy?plan_id={self.plan_prepaid.id}").text
        self.url_open(
            "/hotspot/buy",
            data={
                "plan_id": str(self.plan_prepaid.id),
                "csrf_token": CSRF_RE.search(page).group(1),
            },
        )
        purchase = self.env["wisp.voucher.purchase"].search([("partner_id", "=", self.emma.id)])
        self.assertEqual(len(purchase), 1)
        return purchase

    def test_purchase_page_of_a_subscriber_opened_by_its_link(self):
        purchase = self._emma_checkout()
        self.authenticate(None, None)
        landing = purchase._wisp_landing_url()
        page = self.get(landing, "purchase page, to pay")
        self.assertIn('id="o_payment_form"', page)
        self.assertNotIn('data-payment-option-type="token"', page)
        processing = self.pay_by_form(
            f"/hotspot/purchase/{purchase.id}/transaction", purchase.access_token, landing, 2.0
        )
        self.assert_discloses_nothing(json.dumps(processing), "purchase transaction")
        self._provider_answers(self._get_tx(processing["reference"]), "done")
        page = self.get(landing, "purchase page, delivered")
        self.assertIn("o_wisp_purchase_code", page)
        self.assertEqual(purchase.state, "delivered")

    @mute_logger("odoo.http")
    def test_saved_card_is_not_charged_through_a_purchase_link(self):
        purchase = self._emma_checkout()
        for login in (None, "bob"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                with self.assertRaises(JsonRpcException):
                    self.pay_by_form(
                        f"/hotspot/purchase/{purchase.id}/transaction",
                        purchase.access_token,
                        "/",
                        2.0,
                        flow="token",
                        token_id=self.card.id,
                        payment_method_id=None,
                    )
        self.assertFalse(purchase.transaction_ids)

    def test_where_to_buy(self):
        reseller = self.env["res.partner"].create(
            {
                "name": "Corner Ltd",
                "email": "owner.private@example.com",
                "phone": "+1 217 555 0000",
                "wisp_is_reseller": True,
            }
        )
        self.env["wisp.reseller.location"].create(
            {"name": "Corner Shop", "reseller_id": reseller.id, "phone": "+1 217 555 1111"}
        )
        page = self.get("/access-codes/where-to-buy", "where to buy")
        self.assertIn("+1 217 555 1111", page, "the shop's own phone")
        self.assertNotIn("owner.private@example.com", page)
        self.assertNotIn("+1 217 555 0000", page)

    def test_connect_form(self):
        self.new_service(self.emma)
        page = self.get("/connect", "connect form")
        self.get(f"/connect?ref={self.referral_code}", "connect form, referral link")
        values = {
            "contact_name": "Prospect",
            "email": "prospect@example.com",
            "phone": "+1 217 555 2222",
            "street": "1 New Road",
            "city": "Springfield",
            "csrf_token": CSRF_RE.search(page).group(1),
        }
        self.get(
            "/connect",
            "connect, wrong referral",
            status=400,
            data={**values, "referral_code": "NOSUCHCODE"},
        )
        page = self.get(
            "/connect", "connect, sent", data={**values, "referral_code": self.referral_code}
        )
        self.assertIn("o_wisp_connect_reference", page)

    @mute_logger("odoo.addons.payment_stripe.controllers.main", "odoo.addons.wisp_billing")
    def test_stripe_webhook(self):
        for event in (
            {"type": "customer.created", "data": {"object": {"email": EMMA["email"]}}},
            {"type": "charge.dispute.created", "data": {"object": {"charge": "ch_1"}}},
        ):
            with self.subTest(event=event["type"]):
                response = self.url_open("/payment/stripe/webhook", json=event)
                self.assertIn(response.status_code, (200, 403))
                self.assert_discloses_nothing(response.text, event["type"])
