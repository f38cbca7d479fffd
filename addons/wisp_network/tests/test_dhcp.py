from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..adapters.base import Usage
from ..models.wisp_service import NO_SYNC
from .common import WispNetworkCase
from .test_router_setup import parse_script

LEASES = "/ip/dhcp-server/lease"
ADDRESSES = "/ip/firewall/address-list"


@tagged("post_install", "-at_install")
class TestDhcpServices(WispNetworkCase):
    """DHCP/IPoE services: the router knows them by their CPE's MAC (a static lease)."""

    def dhcp_service(self, state="active", mac="aa-bb-cc-00-00-01", **vals):
        vals.setdefault("ip_address", "10.9.1.2")
        return self.new_service(state=state, access_method="dhcp", mac_address=mac, **vals)

    def lease(self, mac):
        return self.emu.row(LEASES, mac_address=mac)

    def test_life_cycle_reaches_the_lease(self):
        service = self.dhcp_service()
        self.assertEqual(service.mac_address, "AA:BB:CC:00:00:01", "normalised")
        self.assertEqual(service.network_login, "AA:BB:CC:00:00:01")
        self.run_jobs()
        lease = self.lease("AA:BB:CC:00:00:01")
        self.assertEqual(lease["address"], "10.9.1.2")
        self.assertEqual(lease["rate-limit"], service._speed_profile().rate_limit)
        self.assertEqual(lease["address-lists"], "")
        self.assertTrue(lease["comment"].startswith(f"wisp:{service.name}"))
        self.assertIsNone(self.secret(service), "no PPP secret for a DHCP service")
        self.assertEqual(self.jobs_of(service).mapped("state"), ["done"])

        service.with_user(self.billing).action_suspend(reason="Overdue")
        self.run_jobs()
        self.assertEqual(self.lease("AA:BB:CC:00:00:01")["address-lists"], "wisp-restricted")
        entry = self.emu.row(ADDRESSES, comment="wisp:AA:BB:CC:00:00:01")
        self.assertEqual(entry["address"], "10.9.1.2", "restricted at once, not at renewal")

        service.with_user(self.billing).action_reactivate()
        self.run_jobs()
        self.assertEqual(self.lease("AA:BB:CC:00:00:01")["address-lists"], "")
        self.assertIsNone(self.emu.row(ADDRESSES, comment="wisp:AA:BB:CC:00:00:01"))

        service.with_user(self.network).action_terminate(reason="Moved away")
        self.run_jobs()
        self.assertIsNone(self.lease("AA:BB:CC:00:00:01"), "the lease goes with the service")

    def test_unchanged_reconcile_writes_nothing(self):
        self.dhcp_service()
        self.dhcp_service(
            mac="aa:bb:cc:00:00:02", ip_address="10.9.1.3", partner=self.other_subscriber
        )
        self.run_jobs()
        self.emu.reset_stats()
        report = self.router._reconcile(self.router.sudo()._get_backend())
        self.assertFalse(report.changed)
        self.assertEqual(self.emu.writes(), [])

    def test_mac_comes_from_the_device_and_follows_it(self):
        service = self.new_service(state="confirmed", access_method="dhcp", ip_address="10.9.1.4")
        self.assertFalse(service.mac_address)
        device = self.mount_device(service)
        self.assertEqual(service.mac_address, device.mac_address)
        service.action_activate()
        self.run_jobs()
        self.assertTrue(self.lease(device.mac_address))

        # The CPE is swapped: the service and its lease follow the new MAC.
        old_mac = device.mac_address
        device.mac_address = "02:aa:00:00:00:99"
        self.assertEqual(service.mac_address, "02:AA:00:00:00:99")
        self.assertEqual(
            self.jobs_of(service).filtered(lambda j: j.state == "pending").stale_login, old_mac
        )
        self.run_jobs()
        self.assertIsNone(self.lease(old_mac))
        self.assertEqual(self.lease("02:AA:00:00:00:99")["address"], "10.9.1.4")

    def test_switch_from_pppoe_to_dhcp_moves_the_service(self):
        service = self.new_service(state="active", ip_address="10.9.1.5")
        self.run_jobs()
        self.assertTrue(self.secret(service))
        self.mount_device(service)
        service.with_user(self.network).access_method = "dhcp"
        self.assertTrue(service.mac_address, "taken from its device")
        self.run_jobs()
        self.assertIsNone(self.secret(service))
        self.assertEqual(self.lease(service.mac_address)["address"], "10.9.1.5")

    def test_mac_taken_twice_is_refused_by_name(self):
        first = self.dhcp_service()
        with self.assertRaisesRegex(ValidationError, first.name):
            self.dhcp_service(state="draft", mac="AA:BB:CC:00:00:01", partner=self.other_subscriber)
        other = self.dhcp_service(state="draft", mac=False, partner=self.other_subscriber)
        with self.assertRaisesRegex(ValidationError, "already used by service"):
            other.mac_address = "aa.bb.cc.00.00.01"
        with self.assertRaisesRegex(ValidationError, "not a MAC address"):
            other.mac_address = "AA:BB:CC:00:00"

    def assert_refused(self, action, message):
        """``action`` raises a UserError saying ``message``, and is rolled back
        (``assertRaises``, unlike ``assertRaisesRegex``, runs it in a savepoint)."""
        with self.assertRaises(UserError) as caught:
            action()
        self.assertIn(message, str(caught.exception))

    def test_missing_mac_or_address_is_a_clear_error(self):
        service = self.dhcp_service(state="confirmed", mac=False)
        self.assert_refused(service.action_activate, "needs a CPE MAC")
        service.invalidate_recordset()
        self.assertEqual(service.state, "confirmed")
        service.write({"mac_address": "AA:BB:CC:00:00:07", "ip_address": False})
        self.assert_refused(service.action_activate, "an IPv4 address for its DHCP lease")
        service.invalidate_recordset()
        self.assertEqual(service.state, "confirmed")
        service.ip_address = "10.9.1.7"
        service.action_activate()
        # a running DHCP service keeps its address and MAC
        as_network = service.with_user(self.network)
        self.assert_refused(lambda: as_network.write({"ip_address": False}), "an IPv4 address")
        self.assert_refused(lambda: as_network.write({"mac_address": False}), "needs a CPE MAC")
        service.invalidate_recordset()
        self.assertEqual(
            (service.ip_address, service.mac_address), ("10.9.1.7", "AA:BB:CC:00:00:07")
        )
        # cutting it off never fails for want of them (checked when it comes on only)
        service.with_context(wisp_network_no_sync=NO_SYNC).ip_address = False
        service.with_user(self.billing).action_suspend(reason="Overdue")
        self.assertEqual(service.state, "suspended")

    def test_support_may_not_switch_a_running_service(self):
        service = self.new_service(state="active")
        with self.assertRaises(AccessError):
            service.with_user(self.support).write({"access_method": "dhcp"})
        with self.assertRaises(AccessError):
            service.with_user(self.support).write({"mac_address": "AA:BB:CC:00:00:08"})
        # while being ordered, support sets it up like the login
        order = self.new_service(state="confirmed")
        order.with_user(self.support).write(
            {"access_method": "dhcp", "mac_address": "AA:BB:CC:00:00:08"}
        )
        self.assertEqual(order.network_login, "AA:BB:CC:00:00:08")

    def test_usage_is_matched_by_mac(self):
        service = self.dhcp_service()
        self.env["wisp.service.usage"]._record_counters(
            self.router, [Usage("AA:BB:CC:00:00:01", 3 * 10**6, 10**6)], service.activation_date
        )
        self.assertEqual(service.usage_counter_download, 3 * 10**6)
        self.assertTrue(service.usage_ids)

    def test_online_with_its_bytes_history_and_usage_on_routeros(self):
        service = self.dhcp_service()
        offline = self.dhcp_service(
            mac="aa:bb:cc:00:00:02", ip_address="10.9.1.3", partner=self.other_subscriber
        )
        self.run_jobs()
        mac = service.network_login
        self.emu.bind_lease(mac)
        self.emu.add_traffic(mac, upload=2 * 10**6, download=3 * 10**9)

        self.env["wisp.router"]._cron_poll(commit=False)
        (row,) = service.session_ids
        self.assertEqual((row.state, row.kind, row.login), ("open", "dhcp", mac))
        self.assertEqual((row.address, row.mac_address), ("10.9.1.2", mac))
        self.assertEqual((row.download_mb, row.upload_mb), (3000.0, 2.0))
        self.assertFalse(offline.session_ids, "a waiting lease is offline")
        self.assertEqual(self.router.online_session_count, 1)

        live = service.with_user(self.support)
        live.invalidate_recordset()
        self.assertEqual(live.live_state, "online")
        self.assertEqual(live.live_address, "10.9.1.2")
        self.assertAlmostEqual(live.live_download_mb, 3000.0)
        self.assertEqual(live.live_since, row.start_date, "since the poll that found it bound")
        self.assertEqual(offline.with_user(self.support).live_state, "offline")

        self.env["wisp.service.usage"]._cron_collect(commit=False)
        self.assertEqual((service.usage_ids.download_mb, service.usage_ids.upload_mb), (3000, 2))

        # a disconnect never removes the lease, the service's configuration
        result = service.with_user(self.support).action_disconnect_session()
        self.assertEqual(result["params"]["type"], "info")
        self.assertIn("lease is kept", result["params"]["message"])
        self.assertEqual(self.lease(mac)["status"], "bound")
        self.assertEqual(row.state, "open")

        self.emu.expire_lease(mac)
        self.env["wisp.router"]._cron_poll(commit=False)
        self.assertEqual(row.state, "closed")
        service.invalidate_recordset()
        self.assertEqual(service.with_user(self.support).live_state, "offline")

    def test_setup_script_for_dhcp_services(self):
        self.dhcp_service(plan=self.plan_capped)
        commands = parse_script(self.router.with_user(self.network)._setup_script())
        profiles = [f.get("name") for m, v, f in commands if m == "/ppp/profile" and v == "add"]
        self.assertFalse(profiles, "a lease carries its rate: a DHCP-only plan needs no profile")
        radius_router = self.env["wisp.router"].create(
            {
                "name": "Radius NAS",
                "site_id": self.site.id,
                "backend": "radius",
                "host": "10.20.0.1",
                "provisioning_enabled": False,
                "radius_server_id": self.env["wisp.radius.server"]
                .create({"name": "Central RADIUS", "dsn": "host=10.20.0.5 dbname=radius"})
                .id,
                "coa_secret": "CoA-S3cret",
            }
        )
        self.dhcp_service(
            mac="AA:BB:CC:00:00:03", ip_address="10.9.1.9", partner=self.other_subscriber
        ).router_id = radius_router
        commands = parse_script(radius_router.with_user(self.network)._setup_script())
        radius = [f for m, v, f in commands if m == "/radius" and v == "add"]
        self.assertEqual(radius[0]["service"], "ppp,hotspot,dhcp")
        self.assertIn(("/ip/dhcp-server", "set", {"use-radius": "yes"}), commands)
