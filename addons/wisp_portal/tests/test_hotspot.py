import re
from datetime import timedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_prepaid_plan
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ROUTER_LOGIN, WispPortalCase

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class HotspotCase(WispPortalCase):
    """Voucher stock for the prepaid plan and the helpers to drive the hotspot pages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "wisp_voucher_max_failures": 3,
                "wisp_voucher_failure_minutes": 10,
                "wisp_registration_bonus": 2.5,
            }
        )

    def setUp(self):
        super().setUp()
        self.batch = self.env["wisp.voucher.batch"].create(
            {"name": "Hotspot cards", "plan_id": self.plan_prepaid.id, "quantity": 4}
        )
        self.batch.action_generate()
        self.vouchers = self.batch.voucher_ids.sorted("id")

    def csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return CSRF_RE.search(response.text).group(1)

    def redeem(self, code, **extra):
        data = {"code": code, "csrf_token": self.csrf("/hotspot"), **extra}
        return self.url_open("/hotspot/redeem", data=data)

    def attempts(self):
        return self.env["wisp.voucher.attempt"].search([("client_key", "=", "127.0.0.1")])


@tagged("post_install", "-at_install")
class TestHotspot(HotspotCase):
    def test_anonymous_redemption_gets_online(self):
        voucher = self.vouchers[0]
        page = self.url_open(
            f"/hotspot?code={voucher.code}&link-login-only={ROUTER_LOGIN}"
            "&dst=http://example.com/&mac=02:00:00:00:00:09&ip=10.5.50.9"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="o_wisp_hotspot_redeem_form"', page.text)
        self.assertIn(f'value="{voucher.code}"', page.text, "the card's QR code pre-fills it")
        self.assertIn(self.plan_prepaid.name, page.text, "plans to buy are listed")
        self.assertIn("1 day,", page.text, "with their duration")

        csrf = CSRF_RE.search(page.text).group(1)
        response = self.url_open("/hotspot/redeem", data={"code": voucher.code, "csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(voucher.state, "active")
        service = voucher.service_id
        account = service.partner_id
        self.assertTrue(account.wisp_anonymous_prepaid)
        self.assertEqual((service.plan_id, service.state), (self.plan_prepaid, "active"))
        self.assertEqual(service.router_id, self.router, "placed on the hotspot's router")
        self.assertIn('id="o_wisp_hotspot_result"', response.text)
        self.assertIn('<strong class="o_wisp_hotspot_duration">1 day</strong>', response.text)
        self.assertIn("from your first login", response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertIn(service.login, response.text)
        self.assertIn(service.sudo().network_password, response.text)
        # one click logs in at the router (the parameters came with the first page)
        self.assertIn(f'action="{ROUTER_LOGIN}"', response.text)
        self.assertIn('name="dst" value="http://example.com/"', response.text)

        self.run_jobs()
        user = self.emu.row("/ip/hotspot/user", service.login)
        self.assertEqual(user["password"], service.sudo().network_password)
        self.assertEqual(user["limit-uptime"], "1d", "the router counts the day online")
        profile = self.emu.row("/ip/hotspot/user/profile", user["profile"])
        self.assertTrue(profile["rate-limit"].startswith("1000k/5000k"))
        self.assertEqual(self.attempts().mapped("result"), ["success"])

    def test_site_parameter_chooses_the_router(self):
        other_site = self.env["wisp.site"].create({"name": "Beach", "code": "BEACH"})
        other = self.router.copy({"name": "Beach NAS", "site_id": other_site.id})
        response = self.redeem(self.vouchers[0].code, site="BEACH")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.vouchers[0].service_id.router_id, other)

    @mute_logger("odoo.addons.wisp_billing.models.wisp_voucher_attempt")
    def test_wrong_codes_are_refused_then_throttled(self):
        partners = self.env["res.partner"].search_count([])
        services = self.env["wisp.service"].search_count([])
        code = self.vouchers[0].code
        typo = code[:-1] + ("2" if code[-1] != "2" else "3")
        response = self.redeem(typo)
        self.assertEqual(response.status_code, 400)
        self.assertIn("mistyped", response.text)
        self.assertIn("o_wisp_hotspot_error", response.text)
        self.assertIn(f'value="{typo}"', response.text, "what was typed is kept")
        response = self.redeem("ABCD-EFGH-JKLM")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.env["wisp.service"].search_count([]), services)

        self.redeem(typo)
        # three failures: refused whatever is typed, even a good code
        response = self.redeem(code)
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many wrong codes", response.text)
        self.assertEqual(self.vouchers[0].state, "new")
        self.assertEqual(
            sorted(self.attempts().mapped("result")), ["throttled", "typo", "typo", "typo"]
        )
        self.assertTrue(all(len(a.code_hint) <= 4 for a in self.attempts()))

    def test_used_code(self):
        self.assertEqual(self.redeem(self.vouchers[0].code).status_code, 200)
        response = self.redeem(self.vouchers[0].code)
        self.assertEqual(response.status_code, 400)
        self.assertIn("already used", response.text)

    def test_post_without_csrf_is_refused(self):
        self.url_open("/hotspot")
        with mute_logger("odoo.http"):
            response = self.url_open("/hotspot/redeem", data={"code": self.vouchers[0].code})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.vouchers[0].state, "new")

    def test_registration_bonus_once(self):
        self.assertEqual(self.url_open("/hotspot/register").status_code, 404, "no account yet")
        self.redeem(self.vouchers[0].code)
        account = self.vouchers[0].redeemed_partner_id
        form = self.csrf("/hotspot/register")
        data = {"name": "Beach Visitor", "email": "not-an-email", "csrf_token": form}
        response = self.url_open("/hotspot/register", data=data)
        self.assertEqual(response.status_code, 400)
        self.assertIn("valid e-mail", response.text)
        self.assertIn('value="Beach Visitor"', response.text)
        self.assertFalse(account.wisp_registration_rewarded)

        data.update(email="visitor@example.com", city="Relay", partner_id=str(self.alice.id))
        response = self.url_open("/hotspot/register", data=data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_wisp_hotspot_registered", response.text)
        self.assertEqual(
            (account.name, account.email, account.city),
            ("Beach Visitor", "visitor@example.com", "Relay"),
        )
        self.assertEqual(self.alice.name, "Alice Portal", "a partner id in the form is ignored")
        account.invalidate_recordset(["wisp_wallet_balance"])
        self.assertEqual(account.wisp_wallet_balance, 2.5)
        # registering again saves the details but grants nothing more
        data.update(name="Beach Visitor Jr", csrf_token=self.csrf("/hotspot/register"))
        self.assertEqual(self.url_open("/hotspot/register", data=data).status_code, 200)
        account.invalidate_recordset(["wisp_wallet_balance"])
        self.assertEqual(account.wisp_wallet_balance, 2.5)
        self.assertEqual(account.name, "Beach Visitor Jr")

    def register(self, email, name="Beach Walker"):
        data = {"name": name, "email": email, "csrf_token": self.csrf("/hotspot/register")}
        return self.url_open("/hotspot/register", data=data)

    def test_registered_account_logs_in_and_spends_the_bonus(self):
        """The bonus lands on an account that logs in (Odoo's invitation to set a
        password) and pays its next access code from its wallet."""
        self.redeem(self.vouchers[0].code)
        account = self.vouchers[0].redeemed_partner_id
        response = self.register("walker@example.com")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_wisp_hotspot_invited", response.text)
        user = account.user_ids
        self.assertEqual(user.login, "walker@example.com")
        self.assertTrue(user._is_portal())
        self.assertTrue(account.signup_type, "the invitation to choose a password is out")
        self.assertEqual(self.wallet_of(account), 2.5)

        user.password = "walker-pass"  # noqa: S105 - what the invitation link lets one do
        self.authenticate("walker@example.com", "walker-pass")
        self.assertIn("2.50", self.url_open("/my/wallet").text)
        page = self.url_open(f"/hotspot/buy?plan_id={self.plan_prepaid.id}")
        response = self.url_open(
            "/hotspot/buy",
            data={"plan_id": str(self.plan_prepaid.id), "csrf_token": CSRF_RE.search(page.text)[1]},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn('id="o_wisp_purchase_wallet"', response.text)
        purchase = self.env["wisp.voucher.purchase"].search([("partner_id", "=", account.id)])
        self.assertEqual(len(purchase), 1)
        response = self.url_open(
            "/my/wallet/apply",
            data={
                "invoice_id": str(purchase.invoice_id.id),
                "csrf_token": CSRF_RE.search(response.text)[1],
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(purchase.state, "delivered", "paid from the wallet, the code is out")
        self.assertAlmostEqual(self.wallet_of(account), 0.5)

    def test_registration_with_an_email_that_logs_in_elsewhere(self):
        """Nothing proves the address is the visitor's: the account that logs in with it
        is neither credited nor linked, the visitor is told to log in there."""
        self.bob_user.login = "bob@example.com"
        self.redeem(self.vouchers[0].code)
        account = self.vouchers[0].redeemed_partner_id
        response = self.register("BOB@example.com")
        self.assertEqual(response.status_code, 400)
        self.assertIn("already has an account", response.text)
        self.assertFalse(account.user_ids)
        self.assertFalse(account.wisp_registration_rewarded)
        self.assertEqual(self.wallet_of(account), 0.0)
        self.assertEqual(self.wallet_of(self.bob), 0.0)
        self.assertNotEqual(account.email, "BOB@example.com")

    def wallet_of(self, partner):
        partner.invalidate_recordset(["wisp_wallet_balance"])
        return partner.wisp_wallet_balance


@tagged("post_install", "-at_install")
class TestMyAccessCodes(HotspotCase):
    def setUp(self):
        super().setUp()
        self.alice_prepaid = self.new_service(self.alice, self.plan_prepaid)
        self.bob_prepaid = self.new_service(self.bob, self.plan_prepaid)
        self.run_jobs()
        self.location = self.env["wisp.reseller.location"].create(
            {
                "name": "Corner Shop",
                "reseller_id": self.env["res.partner"]
                .create({"name": "Corner Ltd", "wisp_is_reseller": True})
                .id,
                "street": "1 Market Square",
                "city": "Relay",
                "opening_hours": "Mon-Sat 8:00-20:00",
                "latitude": 50.85,
                "longitude": 4.35,
            }
        )
        self.hidden_location = self.location.copy({"name": "Back Office", "is_published": False})

    def redeem_mine(self, code, service=None):
        data = {
            "code": code,
            "service_id": str(service.id) if service else "",
            "csrf_token": self.csrf("/my/access-codes"),
        }
        return self.url_open("/my/access-codes/redeem", data=data)

    def test_page_lists_services_and_where_to_buy(self):
        self.authenticate("alice", "alice")
        page = self.url_open("/my/access-codes")
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="o_wisp_access_code_redeem_form"', page.text)
        self.assertIn(f'<option value="{self.alice_prepaid.id}"', page.text)
        self.assertNotIn(f'value="{self.bob_prepaid.id}"', page.text)
        self.assertIn("Corner Shop", page.text)
        self.assertIn("Mon-Sat 8:00-20:00", page.text)
        self.assertIn("openstreetmap.org", page.text)
        self.assertNotIn("Back Office", page.text)
        home = self.url_open("/my/home")
        self.assertIn('href="/my/access-codes"', home.text)
        # the same list is public
        self.authenticate(None, None)
        public = self.url_open("/access-codes/where-to-buy")
        self.assertEqual(public.status_code, 200)
        self.assertIn("Corner Shop", public.text)
        self.assertNotIn("Back Office", public.text)
        self.assertEqual(self.url_open("/my/access-codes").url.split("?")[0][-10:], "/web/login")

    def test_redeem_onto_my_prepaid_service_extends_it(self):
        # alice's day started at her first login: a code adds a day to its end
        self.alice_prepaid._wisp_start_pass(fields.Datetime.now())
        expiry = self.alice_prepaid.expiry_datetime
        self.authenticate("alice", "alice")
        response = self.redeem_mine(self.vouchers[0].code, self.alice_prepaid)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_wisp_access_code_success", response.text)
        self.assertIn("is active until", response.text)
        self.assertEqual(self.alice_prepaid.expiry_datetime, expiry + timedelta(days=1))
        self.assertEqual(self.vouchers[0].service_id, self.alice_prepaid)
        self.assertIn(self.vouchers[0].code, response.text, "listed under my codes")

        # on the hotspot page, a logged-in subscriber's code goes to its own account too
        response = self.redeem(self.vouchers[1].code)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.vouchers[1].service_id, self.alice_prepaid)
        self.assertEqual(self.alice_prepaid.expiry_datetime, expiry + timedelta(days=2))
        self.assertEqual(self.alice_prepaid.uptime_limit_s, 3 * 86400)
        self.assertNotIn("/hotspot/register", response.text)

    def test_new_service_when_none_chosen_nor_matching(self):
        self.alice_prepaid.action_terminate()
        self.authenticate("alice", "alice")
        response = self.redeem_mine(self.vouchers[0].code)
        self.assertEqual(response.status_code, 200)
        service = self.vouchers[0].service_id
        self.assertNotEqual(service, self.alice_prepaid)
        self.assertEqual(service.commercial_partner_id, self.alice)
        self.assertEqual(service.router_id, self.router)
        self.assertFalse(service.expiry_datetime, "its day starts at its first login")
        self.assertEqual(service.prepaid_pending_s, 86400)
        self.assertIn("gets <strong>1 day</strong> from its first login", response.text)

    def test_cannot_redeem_onto_another_subscribers_service(self):
        bob_time = self.bob_prepaid.prepaid_pending_s, self.bob_prepaid.uptime_limit_s
        self.authenticate("alice", "alice")
        with mute_logger("odoo.http"):
            response = self.redeem_mine(self.vouchers[0].code, self.bob_prepaid)
        self.assert_refused(response)
        self.assertNotIn(self.bob_prepaid.name, response.text)
        self.assertEqual(
            (self.bob_prepaid.prepaid_pending_s, self.bob_prepaid.uptime_limit_s), bob_time
        )
        self.assertEqual(self.vouchers[0].state, "new")

    def test_errors_keep_the_form(self):
        self.authenticate("alice", "alice")
        other_plan = make_prepaid_plan(self.env, "Hotspot Week", duration=7, price=10.0)
        week = self.env["wisp.voucher.batch"].create(
            {"name": "Week", "plan_id": other_plan.id, "quantity": 1}
        )
        week.action_generate()
        response = self.redeem_mine(week.voucher_ids.code, self.alice_prepaid)
        self.assertEqual(response.status_code, 400)
        self.assertIn("o_wisp_access_code_error", response.text)
        self.assertIn("Hotspot Week", response.text)
        self.assertIn(f'value="{week.voucher_ids.code}"', response.text)
        self.assertEqual(week.voucher_ids.state, "new")
