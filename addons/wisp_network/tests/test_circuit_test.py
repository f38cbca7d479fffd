from odoo.exceptions import UserError

from .common import WispNetworkCase


class TestCircuitTest(WispNetworkCase):
    def setUp(self):
        super().setUp()
        self.service = self.new_service("active")
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
        service = self.new_service("active", ip_address="10.9.0.77")
        self.emu.set_host("10.9.0.77")
        service.action_circuit_test()
        self.assertEqual(service.circuit_test_ids.address, "10.9.0.77")
        with self.assertRaisesRegex(UserError, "no address to ping"):
            self.new_service("active").action_circuit_test()
