from lxml import etree

from odoo.exceptions import UserError

from .common import WispNetworkCase


class TestCircuitTest(WispNetworkCase):
    def setUp(self):
        super().setUp()
        self.service = self.new_service(state="active")
        self.env["wisp.cpe.device"].create(
            {"service_id": self.service.id, "name": "LiteBeam", "ip_address": "10.20.0.50"}
        )

    def test_reachable_cpe(self):
        self.emu.set_host("10.20.0.50", rtt_ms=[2.0, 4.0, 6.0], lost=(3,))
        self.service.with_user(self.support).action_circuit_test()
        test = self.service.circuit_test_ids
        self.assertEqual(test.state, "reachable")
        self.assertEqual((test.sent, test.received), (5, 4))
        self.assertAlmostEqual(test.loss_pct, 20.0)
        self.assertEqual((test.min_ms, test.max_ms), (2.0, 6.0))
        self.assertEqual(test.user_id, self.support)
        self.assertIn("20% loss", self.service.message_ids[:1].body)

    def test_unreachable_cpe(self):
        self.emu.set_host("10.20.0.50", reachable=False)
        self.service.with_user(self.network).action_circuit_test()
        test = self.service.circuit_test_ids
        self.assertEqual((test.state, test.received, test.loss_pct), ("unreachable", 0, 100.0))
        self.assertIn("does not answer", self.service.message_ids[:1].body)

    def test_router_timeout_gives_an_error_record(self):
        self.emu.faults.hang = True
        self.service.with_user(self.support).action_circuit_test()
        test = self.service.circuit_test_ids
        self.assertEqual(test.state, "error")
        self.assertIn("no answer", test.error)
        self.assertEqual(self.router.reachability, "unreachable")

    def test_static_ip_when_no_device_address_and_clear_error_without_any(self):
        service = self.new_service(state="active", ip_address="10.9.0.77")
        self.emu.set_host("10.9.0.77")
        service.action_circuit_test()
        self.assertEqual(service.circuit_test_ids.address, "10.9.0.77")
        with self.assertRaisesRegex(UserError, "no address to ping"):
            self.new_service(state="active").action_circuit_test()

    def test_radius_router_without_api_offers_no_test_and_stays_healthy(self):
        """A RADIUS router without API user cannot ping: no button, a clear refusal, no
        "0 % loss" record, and the router is not marked as refusing."""
        site = self.env["wisp.site"].create({"name": "Radius Tower", "code": "RT"})
        router = self.env["wisp.router"].create(
            {
                "name": "RADIUS NAS",
                "site_id": site.id,
                "backend": "radius",
                "host": "127.0.0.1",
                "radius_server_id": self.env["wisp.radius.server"]
                .create({"name": "Nowhere", "dsn": "host=127.0.0.1 port=9 dbname=none"})
                .id,
            }
        )
        service = self.new_service(state="active", site_id=site.id, ip_address="10.9.0.78")
        self.assertEqual(service.router_id, router)
        self.assertFalse(router.can_ping)
        self.assertTrue(self.router.can_ping, "RouterOS pings through its own API")
        self.assertFalse(service.with_user(self.support).circuit_test_available)
        self.assertTrue(self.service.with_user(self.support).circuit_test_available)
        with self.assertRaisesRegex(UserError, "cannot run a circuit test"):
            service.with_user(self.support).action_circuit_test()
        self.assertFalse(service.circuit_test_ids)
        # the adapter's own refusal (a test queued before the router lost its API user)
        test = self.env["wisp.circuit.test"].create(
            {"service_id": service.id, "router_id": router.id, "address": "10.9.0.78"}
        )
        test._run()
        self.assertEqual(test.state, "error")
        self.assertIn("needs the router API", test.error)
        self.assertEqual(router.reachability, "unknown", "nothing was contacted")
        # with an API user, the RADIUS router pings through RouterOS
        router.write({"username": "api", "password": "secret"})
        self.assertTrue(router.can_ping)
        self.assertTrue(service.circuit_test_available)

    def test_failed_test_shows_no_measure(self):
        """A test that never reached the CPE shows its error, not a "0.0 %" loss; the
        service's button follows whether its router can run the test."""
        for xmlid in (
            "wisp_network.wisp_circuit_test_view_list",
            "wisp_network.wisp_circuit_test_view_form",
            "wisp_network.wisp_service_view_form",
        ):
            loss = etree.fromstring(self.env.ref(xmlid).arch).find(".//field[@name='loss_pct']")
            conditions = [node.get("invisible") for node in (loss, *loss.iterancestors())]
            self.assertIn("state in ('pending', 'error')", conditions, xmlid)
        self.assertRegex(
            self.env.ref("wisp_network.wisp_service_view_form").arch,
            r'name="action_circuit_test"[^>]*invisible="not circuit_test_available"',
        )
