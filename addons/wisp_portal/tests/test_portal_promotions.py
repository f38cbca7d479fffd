from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WispPortalCase
from .test_connection_request_form import csrf_of

ATTEMPT_LOGGER = "odoo.addons.wisp_billing.models.wisp_voucher_attempt"
CLIENT_KEY = "127.0.0.1"  # the test browser's address


@tagged("post_install", "-at_install")
class TestPortalPromotions(WispPortalCase):
    """Promo codes typed on the website's sign-up form; the service page and the
    plan change page show the discount the invoice carries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.half = cls.env["wisp.promotion"].create(
            {"name": "Web half price", "value": 50, "duration_cycles": 3, "code": "WEBHALF"}
        )
        cls.valid = {
            "contact_name": "Promo Prospect",
            "email": "promo.prospect@example.com",
            "phone": "+32 470 12 34 56",
            "street": "9 Hill Road",
            "city": "Relay",
            "plan_id": str(cls.plan_50.id),
        }

    def setUp(self):
        super().setUp()
        # wrong codes are counted on cursors of their own (committed): this client
        # starts with none and leaves none to the next tests
        self.forget_attempts()
        self.addCleanup(self.forget_attempts)

    def forget_attempts(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM wisp_voucher_attempt WHERE client_key = %s", [CLIENT_KEY])

    def post(self, **values):
        data = {**self.valid, **values, "csrf_token": csrf_of(self.url_open("/connect"))}
        return self.url_open("/connect", data=data)

    def requests(self):
        return self.env["wisp.connection.request"].search(
            [("email", "=", "promo.prospect@example.com")]
        )

    def test_good_code_goes_on_the_request(self):
        form = self.url_open("/connect?promo=webhalf").text
        self.assertIn('name="promo_code"', form)
        self.assertIn('value="WEBHALF"', form, "an offer's link fills in its code")
        response = self.post(promo_code=" webhalf ")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.requests().wisp_promotion_id, self.half)

    @mute_logger(ATTEMPT_LOGGER)
    def test_bad_codes_are_refused_and_the_form_kept(self):
        self.half.plan_ids = self.plan_20
        for code, message in (
            ("NOPE123", "does not exist"),
            ("WEBHALF", "not valid for the plan Home 50"),
        ):
            with self.subTest(code=code):
                response = self.post(promo_code=code)
                self.assertEqual(response.status_code, 400)
                self.assertIn("o_wisp_error_promo_code", response.text)
                self.assertIn(message, response.text)
                self.assertIn(f'value="{code}"', response.text, "what was typed is kept")
                self.assertIn('value="9 Hill Road"', response.text)
                self.assertNotIn("WEBHALF", response.text.replace(f'value="{code}"', ""))
        self.assertFalse(self.requests(), "nothing is created")

    @mute_logger(ATTEMPT_LOGGER)
    def test_guessing_codes_is_throttled(self):
        self.company.wisp_voucher_max_failures = 2
        for _attempt in range(2):
            self.assertIn("does not exist", self.post(promo_code="GUESS1").text)
        response = self.post(promo_code="WEBHALF")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Too many wrong codes", response.text)
        self.assertFalse(self.requests())

    @freeze_time("2026-11-18 12:00:00", tick=True)
    def test_service_and_plan_pages_show_the_discount(self):
        service = self.new_service(self.alice, self.plan_20, state="confirmed")
        self.env["wisp.service.promotion"].create(
            {"service_id": service.id, "promotion_id": self.half.id}
        )
        service.action_activate()
        self.authenticate("alice", "alice")
        page = self.url_open(f"/my/services/{service.id}").text
        self.assertIn("o_wisp_promotions", page)
        self.assertIn("Web half price", page)
        self.assertIn("o_wisp_promo_price", page)
        plan_page = self.url_open(f"/my/services/{service.id}/plan").text
        self.assertIn("o_wisp_promo_price", plan_page)
        self.assertNotIn("WEBHALF", page + plan_page, "codes are never shown")
        # what the page said is what the invoices carry
        today = fields.Date.context_today(service)
        preview = service._wisp_plan_change_preview(self.plan_50, today)
        self.assertIn(f"{preview['net']:.2f}", plan_page)
        response = self.post_plan_change(service, self.plan_50)
        self.assertEqual(response.status_code, 303)
        next_date = self.alice.wisp_next_billing_date
        with freeze_time(next_date):
            invoice = self.env["wisp.billing.run"]._bill_subscribers(self.alice, next_date)
        next_cycle_end = self.alice._wisp_current_cycle(next_date)[1]
        regular = sum(
            line["price_unit"] for line in service._wisp_charge_lines(next_date, next_cycle_end)
        )
        self.assertAlmostEqual(invoice.amount_total - regular, preview["net"])
