import re

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WispPortalCase

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response):
    return CSRF_RE.search(response.text).group(1)


@tagged("post_install", "-at_install")
class TestConnectionRequestForm(WispPortalCase):
    """The website's "Get connected" form for prospects."""

    def setUp(self):
        super().setUp()
        self.Request = self.env["wisp.connection.request"]
        self.country = self.env.ref("base.be")
        self.valid = {
            "contact_name": "Prospect Person",
            "email": "prospect@example.com",
            "phone": "+32 470 12 34 56",
            "street": "9 Hill Road",
            "street2": "Flat 2",
            "zip": "1000",
            "city": "Relay",
            "country_id": str(self.country.id),
            "plan_id": str(self.plan_50.id),
            "note": "Line of sight to the water tower.",
        }

    def post(self, data, with_csrf=True):
        if with_csrf:
            data = {**data, "csrf_token": csrf_of(self.url_open("/connect"))}
        return self.url_open("/connect", data=data)

    def requests_for(self, email):
        return self.Request.search([("email", "=", email)])

    def test_form_and_menu(self):
        response = self.url_open("/connect")
        self.assertEqual(response.status_code, 200)
        self.assertIn('id="o_wisp_connect_form"', response.text)
        for field in ("contact_name", "email", "phone", "street", "street2", "zip", "city"):
            self.assertIn(f'name="{field}"', response.text)
        for field in ("country_id", "plan_id", "note"):
            self.assertIn(f'id="o_wisp_{field}"', response.text)
        self.assertIn(self.plan_50.name, response.text)
        self.assertNotIn(self.plan_prepaid.name, response.text, "prepaid plans are vouchers")
        menu = self.env.ref("wisp_portal.menu_wisp_connect")
        self.assertEqual(
            (menu.url, menu.parent_id), ("/connect", self.env.ref("website.main_menu"))
        )
        self.assertTrue(
            self.env["website.menu"].search(
                [("url", "=", "/connect"), ("website_id", "=", self.website.id)]
            ),
            "every website's menu gets the entry",
        )

    def test_valid_request(self):
        response = self.post(self.valid)
        self.assertEqual(response.status_code, 200)
        created = self.requests_for("prospect@example.com")
        self.assertEqual(len(created), 1)
        self.assertRecordValues(
            created,
            [
                {
                    "contact_name": "Prospect Person",
                    "phone": "+32 470 12 34 56",
                    "street": "9 Hill Road",
                    "street2": "Flat 2",
                    "zip": "1000",
                    "city": "Relay",
                    "country_id": self.country.id,
                    "plan_id": self.plan_50.id,
                    "service_type": "internet",
                    "note": "Line of sight to the water tower.",
                    "source": "website",
                    "state": "new",
                    "partner_id": False,
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertIn(created.name, response.text)
        self.assertIn("o_wisp_connect_reference", response.text)

    def test_plan_is_optional(self):
        self.post({**self.valid, "plan_id": ""})
        self.assertFalse(self.requests_for("prospect@example.com").plan_id)

    def test_invalid_inputs(self):
        cases = {
            "contact_name": ("", "Name is required."),
            "email": ("not-an-email", "not a valid e-mail"),
            "phone": ("call me", "phone number"),
            "street": ("", "Street is required."),
            "city": ("   ", "City is required."),
            "plan_id": (str(self.plan_prepaid.id), "Choose one of the plans"),
            "country_id": ("999999", "Choose a country"),
            "note": ("x" * 2001, "under 2000 characters"),
        }
        for field, (value, message) in cases.items():
            with self.subTest(field=field):
                response = self.post({**self.valid, field: value})
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
                self.assertIn(f"o_wisp_error_{field}", response.text)
                # the other values are kept
                self.assertIn(
                    'value="9 Hill Road"' if field != "street" else "Prospect Person", response.text
                )
                self.assertFalse(self.requests_for("prospect@example.com"))
                self.assertFalse(self.requests_for("not-an-email"))

    def test_missing_csrf_is_refused(self):
        with mute_logger("odoo.http"):
            response = self.post(self.valid, with_csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.requests_for("prospect@example.com"))

    def test_logged_in_subscriber_is_prefilled_and_linked(self):
        self.alice.write({"zip": "4242", "phone": "+32 2 555 11 22"})
        self.authenticate("alice", "alice")
        response = self.url_open("/connect")
        self.assertIn('value="alice@example.com"', response.text)
        self.assertIn('value="5 Antenna Road"', response.text)
        self.assertIn('value="4242"', response.text)
        response = self.post({**self.valid, "email": "alice@example.com", "street": "1 Beach Road"})
        self.assertEqual(response.status_code, 200)
        created = self.requests_for("alice@example.com")
        self.assertEqual(created.partner_id, self.alice)
        self.assertEqual(created.street, "1 Beach Road")

    def test_referral_code_from_share_link_to_credit(self):
        """A subscriber's share link -> a prospect's request with its code -> the new
        account is referred; its first paid invoice credits both wallets once."""
        self.company.wisp_referral_credit = 7.0
        code = self.alice._wisp_referral_code_get()
        self.assertIn(f'value="{code}"', self.url_open(f"/connect?ref={code}").text)
        self.post({**self.valid, "referral_code": code.lower()})
        request = self.requests_for("prospect@example.com")
        self.assertEqual(request.referral_code, code)
        request.action_convert()
        account = request.partner_id
        self.assertEqual(account.wisp_referred_by_id, self.alice)
        service = request.service_id
        service.action_activate()
        invoice = self.env["account.move"].search([("partner_id", "=", account.id)])
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertAlmostEqual(account.wisp_wallet_balance, 7.0)
        self.assertAlmostEqual(self.alice.wisp_wallet_balance, 7.0)

    def test_unknown_referral_code_is_refused(self):
        response = self.post({**self.valid, "referral_code": "NOPE1234"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("o_wisp_error_referral_code", response.text)
        self.assertIn('value="NOPE1234"', response.text, "what was typed is kept")
        self.assertFalse(self.requests_for("prospect@example.com"))
