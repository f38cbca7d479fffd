from odoo.addons.wisp_network.tests.common import ROUTER_PASSWORD
from odoo.tests import tagged

from .common import WispPortalCase


@tagged("post_install", "-at_install")
class TestPortalLiveSession(WispPortalCase):
    """Online now on the subscriber's services: own services only, never an error page."""

    def setUp(self):
        super().setUp()
        # the emulator lives for the class: no fault of another test carries over
        self.emu.faults.hang = False
        self.addCleanup(setattr, self.emu.faults, "hang", False)
        self.home = self.new_service(self.alice, self.plan_20)
        self.bob_home = self.new_service(self.bob, self.plan_50)
        self.env["wisp.network.job"]._cron_process_jobs(commit=False)
        self.emu.reset_stats()

    def live_url(self, service):
        return f"/my/services/{service.id}/live"

    def assert_no_secret(self, body):
        for service in (self.home | self.bob_home).sudo():
            self.assertNotIn(service.network_password, body)
        self.assertNotIn(ROUTER_PASSWORD, body)
        self.assertNotIn("127.0.0.1", body, "the router's address is not the subscriber's")

    def test_dashboard_and_service_page_load_the_status(self):
        self.authenticate("alice", "alice")
        for url in ("/my/services", f"/my/services/{self.home.id}"):
            body = self.url_open(url).text
            self.assertIn(f'data-live-url="{self.live_url(self.home)}"', body)
            self.assertNotIn(self.live_url(self.bob_home), body)
        self.assertFalse(self.emu.log, "the page itself never waits for the router")

    def test_online_own_service(self):
        self.emu.connect_session(self.home.login, address="10.7.0.5", uptime=120)
        self.emu.add_traffic(self.home.login, upload=3 * 10**6, download=2 * 10**9)
        self.authenticate("alice", "alice")
        response = self.url_open(self.live_url(self.home))
        self.assertEqual(response.status_code, 200)
        body = response.text
        self.assertIn('data-live-state="online"', body)
        self.assertIn("10.7.0.5", body)
        self.assertIn("Portal NAS", body)
        self.assertIn("2.0 GB", body)
        self.assertIn("3.0 MB", body)
        self.assert_no_secret(body)

    def test_offline_and_router_not_answering(self):
        self.authenticate("alice", "alice")
        body = self.url_open(self.live_url(self.home)).text
        self.assertIn('data-live-state="offline"', body)
        self.env["ir.config_parameter"].sudo().set_param("wisp_network.live_timeout", "0.5")
        self.emu.faults.hang = True
        response = self.url_open(self.live_url(self.home))
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-live-state="no_answer"', response.text)
        self.assert_no_secret(response.text)

    def test_another_subscribers_service_is_refused(self):
        self.emu.connect_session(self.bob_home.login, address="10.7.0.6")
        self.authenticate("alice", "alice")
        response = self.url_open(self.live_url(self.bob_home))
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("10.7.0.6", response.text)
        self.assertNotIn(self.bob_home.login, response.text)
        self.assertFalse(self.emu.log, "the router is not even asked")
        # not logged in: the login page, nothing of the service
        self.authenticate(None, None)
        response = self.url_open(self.live_url(self.home))
        self.assertIn("/web/login", response.url)
        self.assertNotIn("data-live-state", response.text)

    def test_the_card_fetches_the_status_in_the_browser(self):
        self.emu.connect_session(self.home.login, address="10.7.0.8")
        self.start_tour("/my/services", "wisp_portal_live_session", login="alice")
