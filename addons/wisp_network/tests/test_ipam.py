import uuid
from datetime import timedelta

from freezegun import freeze_time

from odoo import api, fields
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import WispNetworkCase


class TestIpam(WispNetworkCase):
    """Pools of the test site: 10.50.0.0/29 (gateway .1, .2 excluded: .3-.6 to hand
    out) and 2001:db8:50::/48 cut into /56 prefixes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Pool = cls.env["wisp.ip.pool"]
        cls.Address = cls.env["wisp.ip.address"]
        cls.pool = cls.Pool.create(
            {
                "name": "TT PPPoE",
                "site_id": cls.site.id,
                "cidr": "10.50.0.0/29",
                "gateway": "10.50.0.1",
                "exclusions": "10.50.0.2",
            }
        )
        cls.pool6 = cls.Pool.create(
            {
                "name": "TT IPv6",
                "site_id": cls.site.id,
                "cidr": "2001:db8:50::/48",
                "prefix_length": 56,
            }
        )
        cls.other_site = cls.env["wisp.site"].create({"name": "Small Tower", "code": "ST"})
        # a /30: one host besides the gateway
        cls.small_pool = cls.Pool.create(
            {
                "name": "ST PPPoE",
                "site_id": cls.other_site.id,
                "cidr": "10.51.0.0/30",
                "gateway": "10.51.0.1",
            }
        )

    def entry(self, address, pool=None):
        return self.Address.search(
            [("pool_id", "=", (pool or self.pool).id), ("address", "=", address)]
        )

    def activated_by_support(self, **vals):
        service = self.new_service(state="confirmed", partner=self.other_subscriber, **vals)
        service.with_user(self.support).action_activate()
        return service

    # ------------------------------------------------------------ allocation
    def test_activation_takes_the_first_free_address_and_prefix_to_the_router(self):
        service = self.activated_by_support()
        self.assertEqual(service.ip_address, "10.50.0.3", "gateway and exclusion are skipped")
        self.assertEqual(service.ipv6_prefix, "2001:db8:50::/56")
        self.assertEqual(self.entry("10.50.0.3").service_id, service)
        self.assertEqual(self.entry("10.50.0.3").state, "used")
        self.assertEqual(self.entry("2001:db8:50::/56", self.pool6).service_id, service)

        second = self.activated_by_support()
        self.assertEqual(
            (second.ip_address, second.ipv6_prefix), ("10.50.0.4", "2001:db8:50:100::/56")
        )

        self.run_jobs()
        secret = self.secret(service)
        self.assertEqual(secret["remote-address"], "10.50.0.3")
        self.assertEqual(secret["remote-ipv6-prefix"], "2001:db8:50::/56")
        state = service.sudo()._network_states()[service.sudo()]
        self.assertEqual(
            (state.remote_address, state.ipv6_prefix), ("10.50.0.3", "2001:db8:50::/56")
        )
        circuits = self.env["wisp.site"].with_user(self.network)._libreqos_circuits()
        circuit = next(c for c in circuits if c.circuit_id == service.name)
        self.assertEqual((circuit.ipv4, circuit.ipv6), ("10.50.0.3", "2001:db8:50::/56"))

    def test_suspended_keeps_terminated_quarantines_then_frees(self):
        service = self.activated_by_support()
        service.with_user(self.billing).action_suspend(reason="Overdue")
        service.with_user(self.billing).action_reactivate()
        service.with_user(self.billing).action_pause()
        self.assertEqual(
            (service.ip_address, service.ipv6_prefix), ("10.50.0.3", "2001:db8:50::/56")
        )

        service.with_user(self.network).action_terminate(reason="Moved away")
        self.assertFalse(service.ip_address)
        self.assertFalse(service.ipv6_prefix)
        entry = self.entry("10.50.0.3")
        self.assertEqual((entry.state, entry.service_id), ("quarantined", service))
        self.assertAlmostEqual(
            entry.quarantine_until,
            fields.Datetime.now() + timedelta(days=7),
            delta=timedelta(minutes=5),
        )
        self.assertEqual(self.entry("2001:db8:50::/56", self.pool6).state, "quarantined")

        self.assertEqual(
            self.activated_by_support().ip_address, "10.50.0.4", "not a quarantined one"
        )
        self.Pool._cron_release_quarantine()
        self.assertEqual(entry.state, "quarantined")
        with freeze_time(fields.Datetime.now() + timedelta(days=7, minutes=10)):
            self.Pool._cron_release_quarantine()
        self.assertEqual((entry.state, entry.service_id), ("free", self.env["wisp.service"]))
        self.assertEqual(self.activated_by_support().ip_address, "10.50.0.3", "free again")

    def test_address_of_a_service_that_never_ran_is_free_at_once(self):
        service = self.new_service(state="confirmed", ip_address="10.50.0.5")
        self.assertEqual(self.entry("10.50.0.5").service_id, service, "reserved from the order on")
        self.assertEqual(self.activated_by_support().ip_address, "10.50.0.3", "not the chosen one")
        service.with_user(self.network).action_terminate(reason="Cancelled")
        self.assertEqual(self.entry("10.50.0.5").state, "free")

    def test_staff_choice_is_kept_at_activation(self):
        service = self.new_service(state="confirmed", ip_address="10.50.0.6")
        service.with_user(self.support).action_activate()
        self.assertEqual(service.ip_address, "10.50.0.6")
        self.assertEqual(service.ipv6_prefix, "2001:db8:50::/56")
        self.assertEqual(self.Address.search_count([("service_id", "=", service.id)]), 2)

    def test_staff_choice_is_checked(self):
        service = self.activated_by_support()
        other = self.activated_by_support()
        refused = {
            "10.60.0.9": "outside the IP pools of service",
            "10.50.0.1": "is reserved in pool TT PPPoE",
            "10.50.0.2": "is reserved in pool TT PPPoE",
            "10.50.0.0": "is reserved",  # the network address
            "10.50.0.7": "is reserved",  # the broadcast address
            "10.50.0.4": f"is used by service {other.name}",
        }
        for address, message in refused.items():
            with (
                self.subTest(address=address),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                service.with_user(self.network).write({"ip_address": address})
        self.assertEqual(service.ip_address, "10.50.0.3")

        service.with_user(self.network).write({"ip_address": "10.50.0.6"})
        self.assertEqual(self.entry("10.50.0.6").service_id, service)
        self.assertEqual(self.entry("10.50.0.3").state, "quarantined", "it was on the network")
        with (
            self.assertRaisesRegex(ValidationError, "is in quarantine until"),
            self.env.cr.savepoint(),
        ):
            other.with_user(self.network).write({"ip_address": "10.50.0.3"})

    def test_exhausted_pool_fails_the_activation_visibly(self):
        first = self.activated_by_support(site_id=self.other_site.id)
        self.assertEqual(first.ip_address, "10.51.0.2")
        second = self.new_service(state="confirmed", site_id=self.other_site.id)
        with (
            self.assertRaisesRegex(
                UserError, r"No free address for service .*ST PPPoE \(10.51.0.0/30\)"
            ),
            self.env.cr.savepoint(),
        ):
            second.with_user(self.support).action_activate()
        self.assertEqual(second.state, "confirmed")
        self.assertFalse(second.ip_address)

    def test_dhcp_service_takes_its_lease_address_from_a_dhcp_pool(self):
        self.Pool.create(
            {"name": "TT DHCP", "site_id": self.site.id, "cidr": "10.52.0.0/29", "purpose": "dhcp"}
        )
        service = self.new_service(
            state="confirmed", access_method="dhcp", mac_address="AA:BB:CC:00:52:01"
        )
        service.with_user(self.support).action_activate()
        self.assertEqual(service.ip_address, "10.52.0.1", "the DHCP pool, not the PPPoE one")
        self.run_jobs()
        lease = self.emu.row("/ip/dhcp-server/lease", **{"mac-address": "AA:BB:CC:00:52:01"})
        self.assertEqual(lease["address"], "10.52.0.1")

    def test_hotspot_users_get_no_pool_address(self):
        service = self.new_service(state="active", plan=self.plan_prepaid)
        self.assertFalse(service.ip_address)
        self.assertFalse(service.ipv6_prefix)

    def test_addresses_typed_before_the_pool_are_adopted(self):
        site = self.env["wisp.site"].create({"name": "Old Tower", "code": "OT"})
        typed = self.new_service(state="active", site_id=site.id, ip_address="10.54.0.2")
        pool = self.Pool.create({"name": "OT PPPoE", "site_id": site.id, "cidr": "10.54.0.0/29"})
        self.assertEqual(self.entry("10.54.0.2", pool).service_id, typed)
        fresh = self.activated_by_support(site_id=site.id)
        self.assertEqual(fresh.ip_address, "10.54.0.1")
        self.assertEqual(self.activated_by_support(site_id=site.id).ip_address, "10.54.0.3")

    # ---------------------------------------------------------------- pools
    def test_pool_layout_is_checked(self):
        router_elsewhere = self.env["wisp.router"].create(
            {
                "name": "Elsewhere",
                "site_id": self.other_site.id,
                "host": "127.0.0.1",
                "provisioning_enabled": False,
            }
        )
        refused = [
            ({"cidr": "10.50.0.4/30"}, "overlaps pool TT PPPoE"),
            ({"cidr": "2001:db8:50:8000::/49", "prefix_length": 64}, "overlaps pool TT IPv6"),
            ({"cidr": "10.70.1.5/24"}, "has host bits set; the network is 10.70.1.0/24"),
            ({"cidr": "ten dot seventy"}, "is not a network"),
            ({"cidr": "10.70.0.0/24", "gateway": "10.71.0.1"}, "is not an address of 10.70.0.0/24"),
            (
                {"cidr": "10.70.0.0/24", "exclusions": "10.70.0.9-10.70.0.3"},
                "ends before it starts",
            ),
            ({"cidr": "10.0.0.0/15"}, "at most 65536 per pool"),
            ({"cidr": "2001:db8:70::/48", "prefix_length": 40}, "longer than /48 and at most /64"),
            (
                {"cidr": "10.70.0.0/24", "router_id": router_elsewhere.id},
                "is not at site Test Tower",
            ),
        ]
        for vals, message in refused:
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                self.Pool.create({"name": "New", "site_id": self.site.id, **vals})
        # another site may reuse the range (its own NAT / VRF)
        self.Pool.create(
            {"name": "ST reuse", "site_id": self.other_site.id, "cidr": "10.50.0.0/29"}
        )

    def test_pool_in_use_is_not_renumbered_or_deleted(self):
        self.activated_by_support()
        for action in (
            lambda: self.pool.write({"cidr": "10.50.8.0/29"}),
            self.pool.unlink,
        ):
            with self.assertRaisesRegex(UserError, "10.50.0.3 is Used"), self.env.cr.savepoint():
                action()
        with (
            self.assertRaisesRegex(ValidationError, "cannot reserve 10.50.0.3"),
            self.env.cr.savepoint(),
        ):
            self.pool.write({"exclusions": "10.50.0.2-10.50.0.3"})
        self.pool.write({"cidr": "10.50.0.0/29", "name": "TT PPPoE"})  # the same network: kept
        self.assertEqual(self.entry("10.50.0.3").state, "used")
        self.pool.write({"exclusions": "10.50.0.6"})
        self.assertEqual(self.entry("10.50.0.2").state, "free")
        self.assertEqual(self.entry("10.50.0.6").state, "reserved")
        self.small_pool.write({"cidr": "10.51.0.0/29"})  # unused: rebuilt
        self.assertEqual(self.small_pool.size, 6)
        self.assertEqual(self.small_pool.reserved_count, 1)

    def test_usage_per_pool_and_per_site(self):
        self.activated_by_support()
        leaving = self.activated_by_support()
        leaving.with_user(self.network).action_terminate(reason="Moved away")
        self.pool.invalidate_recordset()
        self.assertEqual(
            (
                self.pool.size,
                self.pool.free_count,
                self.pool.used_count,
                self.pool.quarantined_count,
                self.pool.reserved_count,
            ),
            (6, 2, 1, 1, 2),
        )
        self.assertEqual(self.pool.usage_pct, 50.0)
        site = self.site.with_user(self.support)
        self.assertEqual((site.ip_pool_count, site.ip_free_count, site.ip_used_count), (2, 2, 1))
        self.assertEqual(site.ip_quarantined_count, 1)
        self.assertEqual(site.ip_usage_pct, 50.0)
        action = site.action_view_ip_pools()
        self.assertEqual(action["domain"], [("site_id", "=", self.site.id)])

    # ---------------------------------------------------------------- roles
    def test_network_edits_pools_support_and_billing_read(self):
        self.Pool.with_user(self.network).create(
            {
                "name": "Public",
                "site_id": self.site.id,
                "cidr": "203.0.113.0/29",
                "purpose": "static",
            }
        )
        self.pool.with_user(self.network).write({"quarantine_days": 3})
        for user in (self.support, self.billing):
            pool = self.pool.with_user(user)
            self.assertEqual(pool.read(["usage_pct"])[0]["usage_pct"], 0.0)
            self.assertTrue(pool.with_user(user).action_view_addresses())
            for action in (
                lambda pool=pool: pool.write({"exclusions": "10.50.0.3-10.50.0.6"}),
                lambda pool=pool: pool.unlink(),
                lambda user=user: self.Pool.with_user(user).create(
                    {"name": "Rogue", "site_id": self.site.id, "cidr": "10.80.0.0/24"}
                ),
                lambda user=user: self.entry("10.50.0.3").with_user(user).write({"state": "used"}),
            ):
                with self.subTest(user=user.login), self.assertRaises(AccessError):
                    action()
        with self.assertRaises(AccessError):
            self.pool.with_user(self.installer).read(["cidr"])
        with self.assertRaises(AccessError):
            self.entry("10.50.0.3").with_user(self.network).write({"state": "reserved"})

    def test_only_network_staff_choose_or_assign_a_running_service_address(self):
        service = self.new_service(state="active", plan=self.plan_prepaid)  # none from the pool
        with self.assertRaises(AccessError):
            service.with_user(self.support).write({"ip_address": "10.50.0.5"})
        with self.assertRaises(AccessError):
            service.with_user(self.support).action_assign_ip()
        with self.assertRaises(AccessError):
            service.with_user(self.network).write({"ipv6_prefix": "2001:db8:50:ff00::/56"})
        service.with_user(self.network).write({"ip_address": "10.50.0.5"})
        self.assertEqual(self.entry("10.50.0.5").service_id, service)


@tagged("post_install", "-at_install")
class TestIpamConcurrency(TransactionCase):
    """Two allocations at once, on real separate cursors.

    The data is committed by its own cursor (and stays in the throw-away test
    database, on a site of its own); this class writes nothing in the test
    transaction, so the worker cursors never wait on it.
    """

    def _committed_setup(self, services=2):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            code = f"R{uuid.uuid4().hex[:6]}"
            site = env["wisp.site"].create({"name": f"Race Tower {code}", "code": code})
            pool = env["wisp.ip.pool"].create(
                {"name": "Race PPPoE", "site_id": site.id, "cidr": "10.77.0.0/29"}
            )
            plan = make_plan(env, f"Race Home {code}", 30.0, download_kbps=20000, upload_kbps=4000)
            partner = env["res.partner"].create({"name": f"Race Subscriber {code}"})
            records = env["wisp.service"].create(
                [
                    {"partner_id": partner.id, "plan_id": plan.id, "site_id": site.id}
                    for _i in range(services)
                ]
            )
            return records.ids, pool.id

    def _addresses(self, service_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            return env["wisp.service"].browse(service_ids).mapped("ip_address")

    def test_two_concurrent_allocations_never_share_an_address(self):
        """Cursor A has taken an address and not committed when cursor B allocates
        (``_ipam_assign``, what the activation runs): B skips A's locked row without
        waiting and takes the next one."""
        (first_id, second_id), _pool_id = self._committed_setup()
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            env_a["wisp.service"].browse(first_id)._ipam_assign()
            cr_b.execute("SET LOCAL lock_timeout = '2s'")  # a wait would fail, not hang
            env_b["wisp.service"].browse(second_id)._ipam_assign()
            cr_a.commit()
            cr_b.commit()
        self.assertEqual(self._addresses([first_id, second_id]), ["10.77.0.1", "10.77.0.2"])

    def test_allocation_reading_before_the_other_committed_skips_its_address(self):
        """B's snapshot predates A's commit, so B still sees A's address free: B
        cannot take it (PostgreSQL's serialization failure, caught in a savepoint)
        and takes the next one, without failing the whole request."""
        (first_id, second_id), pool_id = self._committed_setup()
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            cr_b.execute("SELECT 1")  # B's snapshot is taken now
            env_a["wisp.service"].browse(first_id)._ipam_assign()
            cr_a.commit()
            cr_b.execute(
                "SELECT state FROM wisp_ip_address WHERE pool_id = %s AND address = '10.77.0.1'",
                [pool_id],
            )
            self.assertEqual(cr_b.fetchone()[0], "free", "B does not see A's commit")
            env_b["wisp.service"].browse(second_id)._ipam_assign()
            cr_b.commit()
        self.assertEqual(self._addresses([first_id, second_id]), ["10.77.0.1", "10.77.0.2"])
