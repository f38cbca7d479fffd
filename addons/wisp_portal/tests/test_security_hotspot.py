import threading
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import quote

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..controllers.anonymous import client_key
from ..controllers.hotspot import redeem_code
from .common import ROUTER_LOGIN
from .test_hotspot import CSRF_RE, HotspotCase

ATTEMPT_LOGGER = "odoo.addons.wisp_billing.models.wisp_voucher_attempt"


@tagged("post_install", "-at_install")
class TestHotspotLoginUrl(HotspotCase):
    """The new hotspot login and password are posted to one of our routers only."""

    def redeem_from(self, login_url, **extra):
        page = self.url_open(f"/hotspot?link-login-only={quote(login_url, safe='')}")
        csrf = CSRF_RE.search(page.text).group(1)
        data = {"code": self.vouchers[0].code, "csrf_token": csrf, **extra}
        response = self.url_open("/hotspot/redeem", data=data)
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_login_url_of_a_router_gets_the_one_click_login(self):
        self.router.wisp_hotspot_hosts = "10.5.50.1, Hotspot.Example.NET"
        for url in (ROUTER_LOGIN, "https://hotspot.example.net:8443/login"):
            with self.subTest(url=url):
                page = self.url_open(f"/hotspot?link-login-only={quote(url, safe='')}").text
                self.assertIn(f'name="link_login_only" value="{url}"', page)
        page = self.redeem_from(ROUTER_LOGIN)
        self.assertIn(f'action="{ROUTER_LOGIN}"', page)

    def test_login_url_elsewhere_is_never_posted_to(self):
        for url in (
            "https://evil.example/login",
            "http://10.5.50.1@evil.example/login",
            "https://10.5.50.1.evil.example/login",
            "//evil.example/login",
            "javascript:alert(1)",
            # the router's API address is no hotspot login page
            f"http://{self.router.host}/login",
        ):
            with self.subTest(url=url):
                page = self.url_open(f"/hotspot?link-login-only={quote(url, safe='')}").text
                self.assertNotIn("link_login_only", page)
        page = self.redeem_from("https://evil.example/login")
        service = self.vouchers[0].service_id
        self.assertIn(service.login, page, "the credentials are shown")
        self.assertNotIn("o_wisp_hotspot_router_login", page)
        self.assertNotIn("evil.example", page)

    def test_login_url_in_the_form_is_checked_too(self):
        page = self.redeem_from(ROUTER_LOGIN, link_login_only="https://evil.example/login")
        self.assertNotIn("evil.example", page)
        self.assertNotIn("o_wisp_hotspot_router_login", page)

    def test_login_url_of_another_sites_router(self):
        beach = self.env["wisp.site"].create({"name": "Beach", "code": "BEACH"})
        self.router.copy(
            {"name": "Beach NAS", "site_id": beach.id, "wisp_hotspot_hosts": "10.6.0.1"}
        )
        url = quote("http://10.6.0.1/login", safe="")
        self.assertNotIn(
            "link_login_only", self.url_open(f"/hotspot?site=PT&link-login-only={url}").text
        )
        self.assertIn(
            "link_login_only", self.url_open(f"/hotspot?site=BEACH&link-login-only={url}").text
        )


@tagged("post_install", "-at_install")
class TestRedeemThrottle(HotspotCase):
    @mute_logger(ATTEMPT_LOGGER)
    def test_ipv6_clients_are_counted_by_their_64(self):
        csrf = CSRF_RE.search(self.url_open("/hotspot").text).group(1)

        def redeem_from(address):
            return self.url_open(
                "/hotspot/redeem",
                data={"code": "WRONG", "csrf_token": csrf},
                headers=self.via_proxy(address),
            ).status_code

        statuses = [redeem_from(f"2001:db8:1:2::{index}") for index in range(1, 5)]
        self.assertEqual(statuses, [400, 400, 400, 429])
        self.assertEqual(redeem_from("2001:db8:1:3::1"), 400, "the next /64 is another client")
        attempts = self.env["wisp.voucher.attempt"].search([("client_key", "like", "2001:db8")])
        self.assertEqual(
            sorted(set(attempts.mapped("client_key"))), ["2001:db8:1:2::/64", "2001:db8:1:3::/64"]
        )

    def test_client_key(self):
        self.assertEqual(client_key("192.0.2.7"), "192.0.2.7")
        self.assertEqual(client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64")
        self.assertEqual(client_key(None), "unknown")

    @mute_logger(ATTEMPT_LOGGER)
    def test_my_access_codes_throttled_answers_429(self):
        self.authenticate("alice", "alice")
        csrf = CSRF_RE.search(self.url_open("/my/access-codes").text).group(1)
        statuses = [
            self.url_open(
                "/my/access-codes/redeem", data={"code": "WRONG", "csrf_token": csrf}
            ).status_code
            for _index in range(4)
        ]
        self.assertEqual(statuses, [400, 400, 400, 429])


@tagged("post_install", "-at_install")
class TestRedeemThrottleConcurrency(TransactionCase):
    """Wrong codes sent at once from one client, on real separate cursors: the throttle
    lets exactly its limit through and answers every refusal 429."""

    LIMIT = 3
    REQUESTS = 12

    def setUp(self):
        super().setUp()
        self.key = f"192.0.2.{id(self) % 250}"
        with self.registry.cursor() as cr:
            company = api.Environment(cr, SUPERUSER_ID, {}).company
            saved = {
                "wisp_voucher_max_failures": company.wisp_voucher_max_failures,
                "wisp_voucher_failure_minutes": company.wisp_voucher_failure_minutes,
            }
            company.write(
                {"wisp_voucher_max_failures": self.LIMIT, "wisp_voucher_failure_minutes": 10}
            )
        self.addCleanup(self.restore, saved)

    def restore(self, saved):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.company.write(saved)
            cr.execute("DELETE FROM wisp_voucher_attempt WHERE client_key = %s", [self.key])

    @mute_logger(ATTEMPT_LOGGER)
    def test_concurrent_wrong_codes(self):
        barrier = threading.Barrier(self.REQUESTS)
        answers = []

        def send():
            barrier.wait()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                _result, error, status = redeem_code(env, "WRONG", self.key)
                answers.append((status, error))

        threads = [threading.Thread(target=send) for _index in range(self.REQUESTS)]
        # the test runner holds the registry lock, which new environments take (HttpCase
        # lifts it the same way for its server threads)
        with patch.object(Registry, "_lock", DummyRLock()):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(len(answers), self.REQUESTS)
        statuses = sorted(status for status, _error in answers)
        self.assertEqual(statuses, [400] * self.LIMIT + [429] * (self.REQUESTS - self.LIMIT))
        for status, error in answers:
            self.assertEqual(status == 429, "Too many wrong codes" in error, error)


@tagged("post_install", "-at_install")
class TestCheckoutLimit(HotspotCase):
    """Anonymous checkouts (a contact and a posted invoice each) are limited per client."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("wisp_portal.checkout_limit_per_hour", "2")

    def buy(self, email, headers=None):
        page = self.url_open(f"/hotspot/buy?plan_id={self.plan_prepaid.id}", headers=headers)
        csrf = CSRF_RE.search(page.text).group(1)
        data = {
            "csrf_token": csrf,
            "plan_id": str(self.plan_prepaid.id),
            "name": "Walk In",
            "email": email,
        }
        return self.url_open("/hotspot/buy", data=data, headers=headers)

    def purchases(self):
        return self.env["wisp.voucher.purchase"].search([("partner_id.name", "=", "Walk In")])

    def test_unpaid_checkouts_per_client_and_hour(self):
        partners = self.env["res.partner"].search_count([])
        invoices = self.env["account.move"].search_count([])
        for email in ("one@example.com", "two@example.com"):
            self.assertEqual(self.buy(email).status_code, 200)
        response = self.buy("three@example.com")
        self.assertEqual(response.status_code, 429)
        self.assertIn("o_wisp_field_error", response.text)
        self.assertIn('value="three@example.com"', response.text, "the form is kept")
        self.assertEqual(len(self.purchases()), 2)
        self.assertEqual(self.env["res.partner"].search_count([]), partners + 2)
        self.assertEqual(self.env["account.move"].search_count([]), invoices + 2)
        self.assertEqual(set(self.purchases().mapped("wisp_client_key")), {"127.0.0.1"})
        # the same checkout sent again is still reused, not refused
        self.assertEqual(self.buy("two@example.com").status_code, 200)
        # another client is not affected
        self.assertEqual(self.buy("four@example.com", self.via_proxy("10.99.0.7")).status_code, 200)
        # a paid or cancelled checkout no longer counts, nor one older than an hour
        self.purchases()[-1:].action_cancel()
        self.assertEqual(self.buy("five@example.com").status_code, 200)
        self.env.cr.execute(
            "UPDATE wisp_voucher_purchase SET create_date = create_date - interval '61 minutes'"
            " WHERE id IN %s",
            [tuple(self.purchases().ids)],
        )
        self.assertEqual(self.buy("six@example.com").status_code, 200)

    def test_abandoned_checkout_is_cancelled_by_the_cron(self):
        self.assertEqual(self.buy("gone@example.com").status_code, 200)
        purchase = self.purchases()
        invoice = purchase.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.env.cr.execute(
            "UPDATE wisp_voucher_purchase SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(hours=49), purchase.id],
        )
        purchase.invalidate_recordset()
        self.assertTrue(self.env.ref("wisp_billing.ir_cron_wisp_voucher_purchase_abandoned").active)
        self.env["wisp.voucher.purchase"]._cron_cancel_abandoned()
        self.assertEqual((purchase.state, invoice.state), ("cancelled", "cancel"))
