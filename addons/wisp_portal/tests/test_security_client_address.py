from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from .common import CLIENT_IP
from .test_hotspot import CSRF_RE, HotspotCase

SUBSCRIBER_IP = "10.99.0.5"


@tagged("post_install", "-at_install")
class TestClientAddress(HotspotCase):
    """The captive and hotspot pages believe X-Forwarded-For only from our proxies, even
    when Odoo runs with proxy_mode (whose ProxyFix believes anyone sending X-Forwarded-Host)."""

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.overdue_service(self.alice, ip_address=SUBSCRIBER_IP)
        proxy_mode = patch.dict(config.options, {"proxy_mode": True})
        proxy_mode.start()
        self.addCleanup(proxy_mode.stop)

    def captive_state(self, headers):
        page = self.url_open("/captive", headers=headers).text
        return "limited" if 'data-state="limited"' in page else "unknown"

    def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(self):
        forged = {"X-Forwarded-For": SUBSCRIBER_IP, "X-Forwarded-Host": "portal.example.net"}
        page = self.url_open("/captive", headers=forged).text
        self.assertIn('data-state="unknown"', page)
        self.assertNotIn("Alice", page)

    def test_trusted_proxy_relays_the_client_address(self):
        page = self.url_open("/captive", headers=self.via_proxy(SUBSCRIBER_IP)).text
        self.assertIn('o_wisp_captive_name">Alice<', page)

    def test_forwarded_for_is_walked_through_trusted_proxies_only(self):
        for forwarded_for, proxies, state in (
            # client -> proxy 10.98.0.1 -> proxy at the test client's address: both ours
            (f"{SUBSCRIBER_IP}, 10.98.0.1", f"{CLIENT_IP}, 10.98.0.0/16", "limited"),
            # the hop before our proxy is not ours: that is the client, whatever it claims
            (f"{SUBSCRIBER_IP}, 10.98.0.1", CLIENT_IP, "unknown"),
            (f"{SUBSCRIBER_IP}, 203.0.113.7", f"{CLIENT_IP}, 10.98.0.0/16", "unknown"),
            # what is left of our proxies' entries is not read
            (f"not-an-address, {SUBSCRIBER_IP}", CLIENT_IP, "limited"),
            # a proxy of ours that passed garbage on: nobody
            (f"{SUBSCRIBER_IP}, not-an-address", CLIENT_IP, "unknown"),
            # an IPv4-mapped IPv6 address is the IPv4 one
            (f"::ffff:{SUBSCRIBER_IP}", CLIENT_IP, "limited"),
            # no proxy configured (the default), or a bad entry: nothing forwarded is believed
            (SUBSCRIBER_IP, "", "unknown"),
            (SUBSCRIBER_IP, "not-a-network", "unknown"),
        ):
            with self.subTest(forwarded_for=forwarded_for, proxies=proxies):
                self.assertEqual(self.captive_state(self.via_proxy(forwarded_for, proxies)), state)

    @mute_logger("odoo.addons.wisp_billing.models.wisp_voucher_attempt")
    def test_forged_forwarded_for_does_not_reset_the_redeem_throttle(self):
        csrf = CSRF_RE.search(self.url_open("/hotspot").text).group(1)
        statuses = []
        for index in range(4):
            forged = {"X-Forwarded-For": f"10.99.1.{index}", "X-Forwarded-Host": "portal.example"}
            response = self.url_open(
                "/hotspot/redeem", data={"code": "WRONG", "csrf_token": csrf}, headers=forged
            )
            statuses.append(response.status_code)
        self.assertEqual(statuses, [400, 400, 400, 429])
        self.assertEqual(len(self.attempts()), 4, "all counted for the real peer")
