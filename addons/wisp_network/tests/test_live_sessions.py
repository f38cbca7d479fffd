import time
from datetime import timedelta
from unittest.mock import PropertyMock, patch

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError

from ..adapters.base import Session as AdapterSession
from .common import ROUTER_PASSWORD, WispNetworkCase, start_emulated_router

GB = 10**9


class TestLiveSessions(WispNetworkCase):
    """Online now on the service form: read from the router, never an error."""

    def online_service(self, **session):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login, **session)
        return service

    def live(self, service, user=None):
        service = service.with_user(user or self.support)
        service.invalidate_recordset()
        return service

    def test_online_with_address_since_and_bytes(self):
        service = self.online_service(address="10.7.0.9", uptime=3600)
        self.emu.add_traffic(service.login, upload=2 * 10**6, download=3 * GB)
        offline = self.new_service(state="active")
        self.run_jobs()
        live = self.live(service)
        self.assertEqual(live.live_state, "online")
        self.assertEqual(live.live_address, "10.7.0.9")
        self.assertAlmostEqual(live.live_download_mb, 3000.0)
        self.assertAlmostEqual(live.live_upload_mb, 2.0)
        age = fields.Datetime.now() - live.live_since
        self.assertTrue(timedelta(minutes=59) < age < timedelta(minutes=62), age)
        self.assertEqual(self.live(offline).live_state, "offline")
        self.assertEqual(self.router.reachability, "reachable")

    def test_router_not_answering_is_a_state_not_an_error(self):
        service = self.online_service()
        self.env["ir.config_parameter"].sudo().set_param("wisp_network.live_timeout", "0.5")
        self.emu.faults.hang = True
        started = time.monotonic()
        live = self.live(service)
        self.assertEqual(live.live_state, "no_answer")
        self.assertLess(time.monotonic() - started, 3, "the short live timeout applies")
        self.assertIn(self.router.name, live.live_message)
        for secret in ("127.0.0.1", str(self.emu.port), ROUTER_PASSWORD):
            self.assertNotIn(secret, live.live_message)
        self.assertEqual(self.router.reachability, "unreachable")
        self.emu.faults.hang = False
        self.emu.set_refuse(True)
        self.assertEqual(self.live(service).live_state, "no_answer")

    def test_read_only_cursor_reads_without_writing(self):
        service = self.online_service()
        self.router.sudo().reachability = "unknown"
        self.env.flush_all()
        with patch.object(type(self.env.cr), "readonly", new_callable=PropertyMock) as readonly:
            readonly.return_value = True
            self.assertEqual(self.live(service).live_state, "online")
        self.router.invalidate_recordset()
        self.assertEqual(self.router.reachability, "unknown", "nothing written on a replica")

    def test_not_monitored_without_provisioning(self):
        service = self.online_service()
        self.router.sudo().provisioning_enabled = False
        self.emu.reset_stats()
        self.assertEqual(self.live(service).live_state, "unmonitored")
        self.assertFalse(self.emu.log, "a router whose provisioning is off is never contacted")

    def test_disconnect_by_network_and_support(self):
        for user in (self.support, self.network):
            service = self.online_service()
            self.env["wisp.router"]._cron_poll(commit=False)
            result = service.with_user(user).action_disconnect_session()
            self.assertEqual(result["params"]["type"], "success")
            self.assertNotIn(service.login, self.emu.sessions())
            (row,) = service.session_ids
            self.assertEqual(row.state, "closed")
            self.assertIn(user.name, row.end_cause)
            # nothing left to drop: said so, not an error
            result = service.with_user(user).action_disconnect_session()
            self.assertEqual(result["params"]["type"], "info")

    def test_disconnect_refused_for_other_roles(self):
        service = self.online_service()
        portal = make_portal_user(self.env, "t_live_portal")
        for user in (self.billing, self.installer, portal):
            with self.assertRaises(AccessError, msg=user.login):
                service.with_user(user).action_disconnect_session()
        self.assertIn(service.login, self.emu.sessions(), "nothing was dropped")

    def test_disconnect_with_the_router_down_warns(self):
        service = self.online_service()
        self.env["ir.config_parameter"].sudo().set_param("wisp_network.live_timeout", "0.5")
        self.emu.faults.hang = True
        result = service.with_user(self.support).action_disconnect_session()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertNotIn("127.0.0.1", result["params"]["message"])

    def test_live_fields_are_staff_only(self):
        service = self.online_service()
        portal = make_portal_user(self.env, "t_live_portal2")
        with self.assertRaises(AccessError):
            service.with_user(portal).read(["live_state"])


class TestSessionHistory(WispNetworkCase):
    """The router poll keeps each session: start, stop, bytes, address."""

    def poll(self):
        self.env["wisp.router"]._cron_poll(commit=False)

    def test_poll_opens_updates_and_closes_sessions(self):
        demo_rows = self.env["wisp.service.session"].search([])  # the demo's own history
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login, address="10.7.0.4", mac="02:00:00:00:00:aa")
        self.emu.insert("/ppp/secret", name="handmade")  # not a subscriber's
        self.emu.connect_session("handmade")
        self.poll()
        (row,) = service.session_ids
        self.assertEqual((row.state, row.address, row.kind), ("open", "10.7.0.4", "pppoe"))
        self.assertEqual(row.mac_address, "02:00:00:00:00:AA")
        self.assertEqual(self.router.online_session_count, 1)
        self.assertEqual(
            self.env["wisp.service.session"].search_count([("id", "not in", demo_rows.ids)]),
            1,
            "no row for the hand-made login",
        )

        self.emu.add_traffic(service.login, upload=5 * 10**6, download=7 * 10**6)
        self.poll()
        self.assertEqual(service.session_ids, row, "the same session, updated")
        self.assertEqual((row.download_mb, row.upload_mb), (7.0, 5.0))

        active = self.emu.row("/ppp/active", name=service.login)
        self.emu.delete("/ppp/active", active[".id"])
        self.poll()
        self.assertEqual(row.state, "closed")
        self.assertTrue(row.stop_date)
        self.assertEqual(self.router.online_session_count, 0)
        # it reconnects: a new session
        self.emu.connect_session(service.login)
        self.poll()
        self.assertEqual(len(service.session_ids), 2)
        self.assertEqual(service.session_ids.sorted("id").mapped("state"), ["closed", "open"])

    def test_a_session_id_the_router_uses_again_is_a_new_session(self):
        # a rebooted router numbers its sessions from the start again
        service = self.new_service(state="active")
        Session = self.env["wisp.service.session"]
        live = AdapterSession(login=service.network_login, session_id="0x81D00001", kind="pppoe")
        Session._record_poll(self.router, [live])
        first = service.session_ids
        Session._record_poll(self.router, [])
        self.assertEqual(first.state, "closed")
        Session._record_poll(self.router, [live])
        second = service.session_ids - first
        self.assertEqual((second.state, second.session_key), ("open", "0x81D00001"))
        Session._record_poll(self.router, [live])
        self.assertEqual(service.session_ids, first | second, "the same session, updated")

    def test_history_is_bounded(self):
        service = self.new_service(state="active")
        Session = self.env["wisp.service.session"]
        now = fields.Datetime.now()
        values = {"service_id": service.id, "router_id": self.router.id, "login": service.login}
        old, recent, still_open = Session.create(
            [
                {
                    **values,
                    "session_key": "a",
                    "state": "closed",
                    "stop_date": now - timedelta(days=200),
                },
                {
                    **values,
                    "session_key": "b",
                    "state": "closed",
                    "stop_date": now - timedelta(days=10),
                },
                {**values, "session_key": "c", "start_date": now - timedelta(days=400)},
            ]
        )
        self.env["ir.config_parameter"].sudo().set_param("wisp_network.session_history_days", "180")
        self.assertEqual(Session._cron_purge(), 1)
        self.assertFalse(old.exists())
        self.assertTrue((recent | still_open).exists())

    def test_history_is_read_only_for_staff(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.poll()
        row = service.session_ids.with_user(self.network)
        self.assertTrue(row.address)
        with self.assertRaises(AccessError):
            row.write({"address": "10.0.0.1"})
        with self.assertRaises(AccessError):
            row.unlink()
        with self.assertRaises(AccessError):
            service.session_ids.with_user(self.installer).read(["address"])


class TestRouterHealth(WispNetworkCase):
    """Routers polled on a schedule: health recorded, the unreachable ones told once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.router.responsible_id = cls.network

    def poll(self):
        return self.env["wisp.router"]._cron_poll(commit=False)

    def down_activities(self, router):
        return router.activity_ids.filtered(lambda a: a.summary == "Router not answering")

    def test_reachable_router_records_its_health(self):
        self.emu.cpu_load = 42
        self.poll()
        router = self.router
        self.assertEqual(router.reachability, "reachable")
        self.assertEqual(router.cpu_load, 42)
        self.assertTrue(router.routeros_version.startswith("7.16.2"))
        self.assertEqual(router.board_name, "CCR2004-1G-12S+2XS")
        self.assertGreater(router.free_memory_mb, 0)
        self.assertTrue(router.health_date)
        self.assertFalse(router.unreachable_since)

    def test_unreachable_router_raises_one_activity(self):
        self.emu.set_refuse(True)
        self.poll()
        self.poll()
        self.assertEqual(self.router.reachability, "unreachable")
        self.assertTrue(self.router.unreachable_since)
        activity = self.down_activities(self.router)
        self.assertEqual(len(activity), 1, "once, not on every poll")
        self.assertEqual(activity.user_id, self.network)
        self.assertNotIn(ROUTER_PASSWORD, activity.note)
        # the dashboard's network section lists it
        dashboard = self.env["wisp.dashboard"].with_user(self.support).get_dashboard()
        network = next(s for s in dashboard["sections"] if s["key"] == "network")
        down = next(t for t in network["tables"] if t["key"] == "routers_down")
        self.assertIn(self.router.name, [row["label"] for row in down["rows"]])

        self.emu.set_refuse(False)
        self.poll()
        self.assertEqual(self.router.reachability, "reachable")
        self.assertFalse(self.router.unreachable_since)
        self.assertFalse(self.down_activities(self.router), "closed once it answers again")

    def test_one_bad_router_does_not_stop_the_others(self):
        refusing_emu, refusing = start_emulated_router(self, self.site, "Refusing NAS")
        refusing_emu.set_refuse(True)
        _buggy_emu, buggy = start_emulated_router(self, self.site, "Buggy NAS")
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        Session = type(self.env["wisp.service.session"])
        record_poll = Session._record_poll

        def broken_for_one(model, router, *args):
            if router == buggy:
                raise ValueError("a bug")
            return record_poll(model, router, *args)

        # the routers are polled in id order: the bad ones come first
        self.router.sequence = 99
        with (
            patch.object(Session, "_record_poll", broken_for_one),
            self.assertLogs("odoo.addons.wisp_subscriber.tools.each_alone", "ERROR"),
        ):
            self.poll()
        self.assertEqual(refusing.reachability, "unreachable")
        self.assertEqual(len(self.down_activities(refusing)), 1)
        self.assertTrue(
            buggy.activity_ids.filtered(lambda a: a.summary == "Router poll failed"),
            "the bug is shown on its router",
        )
        self.assertEqual(self.router.reachability, "reachable")
        self.assertEqual(self.router.online_session_count, 1)
        self.assertEqual(service.session_ids.state, "open")

    def network_section(self):
        dashboard = self.env["wisp.dashboard"].with_user(self.network).get_dashboard()
        network = next(s for s in dashboard["sections"] if s["key"] == "network")
        figures = {figure["key"]: figure["value"] for figure in network["figures"]}
        per_site = next(t for t in network["tables"] if t["key"] == "online_per_site")
        return figures, {r["label"]: r["value"] for r in per_site["rows"]}

    def test_online_per_site_on_the_dashboard(self):
        # the demo data's own sessions are counted too: compare with before
        figures_before, sites_before = self.network_section()
        self.assertNotIn(self.site.name, sites_before)
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.poll()
        figures, sites = self.network_section()
        self.assertEqual(figures["online_services"], figures_before["online_services"] + 1)
        self.assertEqual(sites[self.site.name], 1)
        self.assertEqual({k: v for k, v in sites.items() if k != self.site.name}, sites_before)
