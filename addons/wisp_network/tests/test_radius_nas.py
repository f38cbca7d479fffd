from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from ..adapters.base import BackendError
from ..adapters.radius import RadiusBackend
from .common import WispNetworkCase, radius_schema, radius_sql
from .emulators import radius_harness

GB = 10**9
NAS_HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")


class RadiusNasCase(WispNetworkCase):
    """Three routers (NAS) on one FreeRADIUS database; tower C does not answer.

    The NAS are CoA listeners on loopback addresses sharing one CoA port, each
    with its own shared secret.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dsn, cls.schema = radius_schema(cls)
        port = radius_harness.shared_udp_port(list(NAS_HOSTS))
        server = cls.env["wisp.radius.server"].create(
            {"name": "Shared FreeRADIUS", "dsn": cls.dsn, "schema": cls.schema}
        )
        cls.routers, cls.listeners, cls.sites = [], [], []
        for letter, host in zip("ABC", NAS_HOSTS, strict=True):
            listener = radius_harness.CoaListener(
                host=host, port=port, silent=letter == "C"
            ).start()
            cls.addClassCleanup(listener.stop)
            site = cls.env["wisp.site"].create({"name": f"Tower {letter}", "code": f"T{letter}"})
            router = cls.env["wisp.router"].create(
                {
                    "name": f"NAS {letter}",
                    "site_id": site.id,
                    "backend": "radius",
                    "host": host,
                    "radius_server_id": server.id,
                    "coa_secret": listener.secret,
                    "coa_port": port,
                    "timeout": 1.0,
                }
            )
            cls.listeners.append(listener)
            cls.sites.append(site)
            cls.routers.append(router)
        cls.Job.search([]).unlink()

    def setUp(self):
        super().setUp()
        self.sql("TRUNCATE radcheck, radreply, radusergroup, radgroupreply, radacct, wisp_usage")
        for listener in self.listeners:
            listener.requests.clear()

    def sql(self, query, params=None):
        return radius_sql(self.dsn, self.schema, query, params)

    def service_on(self, index):
        service = self.new_service(state="active", site_id=self.sites[index].id)
        self.assertEqual(service.router_id, self.routers[index])
        return service

    def open_session(self, service, nas, down=0, up=0):
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime, acctinputoctets, acctoutputoctets) "
            "VALUES (%s, %s, %s, %s, now(), %s, %s)",
            [f"s-{service.login}", f"u-{service.login}", service.login, nas, up, down],
        )


class TestRadiusKicks(RadiusNasCase):
    def test_the_kick_reaches_the_nas_holding_the_session_with_its_secret(self):
        service = self.service_on(0)
        self.run_jobs()
        # the subscriber roamed: the session is on tower B, not on its own router
        self.open_session(service, NAS_HOSTS[1])
        service.with_user(self.billing).action_suspend()
        self.run_jobs()
        tower_a, tower_b, _tower_c = self.listeners
        self.assertEqual(tower_a.requests, [])
        (request,) = tower_b.requests
        self.assertTrue(request["_valid"], "signed with tower B's secret")
        self.assertEqual(request["User-Name"], [service.login])
        self.assertIn("session dropped", self.jobs_of(service)[0].result)

    def test_a_nas_that_does_not_answer_delays_no_other_routers_jobs(self):
        down = [self.service_on(2) for _i in range(3)]
        up = [self.service_on(0) for _i in range(2)]
        self.run_jobs()
        for service in down:
            self.open_session(service, NAS_HOSTS[2])
        for service in up:
            self.open_session(service, NAS_HOSTS[0])
        for service in down + up:  # tower C's jobs come first in the batch
            service.with_user(self.billing).action_suspend()

        self.run_jobs()

        tower_a, _tower_b, tower_c = self.listeners
        for service in up:
            job = self.jobs_of(service)[0]
            self.assertEqual(job.state, "done")
            self.assertIn("session dropped", job.result)
        for service in down:
            job = self.jobs_of(service)[0]
            self.assertEqual((job.kind, job.state), ("disconnect", "pending"), "retried")
            self.assertIn(NAS_HOSTS[2], job.last_error)
        # the restriction itself reached RADIUS for everyone
        restricted = self.sql(
            "SELECT count(*) FROM radusergroup WHERE groupname = 'wisp-restricted'"
        )
        self.assertEqual(restricted, [(5,)])
        # tower C got one request (sent twice), then was given up for the batch
        self.assertEqual(len(tower_c.requests), 2)
        self.assertEqual(len({r["User-Name"][0] for r in tower_c.requests}), 1)
        # tower A's kicks did not wait for tower C to be given up
        self.assertEqual(len(tower_a.requests), 2)
        self.assertLess(max(r["_seq"] for r in tower_a.requests), tower_c.requests[-1]["_seq"])

        # tower C answers again: the retried disconnect jobs finish
        tower_c.silent = False
        self.time_passes()
        self.run_jobs()
        for service in down:
            self.assertEqual(self.jobs_of(service)[0].result, "session dropped")

    @mute_logger("odoo.addons.wisp_network.models.wisp_network_job")
    def test_a_session_on_an_unknown_nas_fails_alone_and_clearly(self):
        lost = self.service_on(0)
        fine = self.service_on(0)
        self.run_jobs()
        self.open_session(lost, "127.0.0.9")  # no router, not in the nas table
        self.open_session(fine, NAS_HOSTS[0])
        for service in (lost, fine):
            service.with_user(self.billing).action_suspend()
        self.run_jobs()
        job = self.jobs_of(lost)[0]
        self.assertEqual((job.kind, job.state), ("disconnect", "failed"), "no retry can help")
        self.assertIn("127.0.0.9", job.last_error)
        self.assertIn("nas table", job.last_error)
        for listener in self.listeners:
            self.assertNotIn(listener.secret, job.last_error)
        self.assertTrue(lost.activity_ids, "the network team is told")
        self.assertIn("session dropped", self.jobs_of(fine)[0].result)

    @mute_logger("odoo.addons.wisp_network.models.wisp_network_job")
    def test_a_database_down_at_kick_time_leaves_every_kick_to_retry(self):
        services = [self.service_on(0), self.service_on(0)]
        self.run_jobs()
        for service in services:
            self.open_session(service, NAS_HOSTS[0])
            service.with_user(self.billing).action_suspend()
        down = BackendError("RADIUS database connect failed: timeout", transient=True)
        with patch.object(RadiusBackend, "disconnect_many", side_effect=down):
            self.run_jobs()
        jobs = self.Job.union(*(self.jobs_of(service)[0] for service in services))
        self.assertEqual(set(jobs.mapped("kind")), {"disconnect"})
        self.assertEqual(set(jobs.mapped("state")), {"pending"}, "retried later")
        self.assertEqual(set(jobs.mapped("last_error")), {str(down)})
        self.assertFalse(any(listener.requests for listener in self.listeners))

        self.time_passes()
        self.run_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertEqual(set(jobs.mapped("result")), {"session dropped"})


class TestRadiusUsage(RadiusNasCase):
    def collect(self):
        self.env["wisp.service.usage"]._cron_collect(commit=False)

    def download_mb(self, service):
        return sum(service.usage_ids.mapped("download_mb"))

    def test_usage_is_read_incrementally_and_a_purge_counts_nothing_twice(self):
        service_a, service_b = self.service_on(0), self.service_on(1)
        self.run_jobs()
        self.open_session(service_a, NAS_HOSTS[0], down=2 * GB, up=GB)
        self.open_session(service_b, NAS_HOSTS[1], down=GB)
        self.collect()
        self.assertEqual(self.download_mb(service_a), 2000.0)
        self.assertEqual(sum(service_a.usage_ids.mapped("upload_mb")), 1000.0)
        self.assertEqual(self.download_mb(service_b), 1000.0)
        router_a = self.routers[0]
        self.assertTrue(router_a.usage_cursor)

        # an interim update of A's open session; B's session stops, then is purged
        self.sql(
            "UPDATE radacct SET acctoutputoctets = %s WHERE username = %s",
            [3 * GB, service_a.login],
        )
        self.sql(
            "UPDATE radacct SET acctstoptime = now() - interval '100 days' WHERE username = %s",
            [service_b.login],
        )
        self.assertEqual(self.sql("SELECT wisp_purge_accounting(30)"), [(1,)])
        self.collect()
        self.assertEqual(self.download_mb(service_a), 3000.0)
        self.assertEqual(self.download_mb(service_b), 1000.0, "the purge is no reset")

        # a late interim update (lower) then the next: only the real rise counts
        for down in (2.5 * GB, 3.5 * GB):
            self.sql(
                "UPDATE radacct SET acctoutputoctets = %s WHERE username = %s",
                [int(down), service_a.login],
            )
            self.collect()
        self.assertEqual(self.download_mb(service_a), 3500.0)
        # B's new session after the purge counts on top of its total
        self.open_session(service_b, NAS_HOSTS[1], down=GB // 2)
        self.collect()
        self.assertEqual(self.download_mb(service_b), 1500.0)

    def test_a_reading_not_recorded_is_read_again(self):
        service = self.service_on(0)
        self.run_jobs()
        self.open_session(service, NAS_HOSTS[0], down=GB)
        Usage = type(self.env["wisp.service.usage"])
        router = self.routers[0]
        before = router.usage_cursor

        def failing(usage, router, counters, today):
            raise ValueError("garbled counters")

        with (
            mute_logger("odoo.addons.wisp_subscriber.tools.each_alone"),
            patch.object(Usage, "_record_counters", failing),
        ):
            self.collect()
        self.assertEqual(router.usage_cursor, before, "the cursor moves with the counters only")
        self.assertFalse(service.usage_ids)
        self.collect()
        self.assertEqual(self.download_mb(service), 1000.0)

    def test_the_cursor_is_for_the_network_team_only(self):
        router = self.routers[0].with_user(self.support)
        with self.assertRaises(AccessError):
            router.read(["usage_cursor"])
        self.assertIn(
            "usage_cursor", self.routers[0].with_user(self.network).read(["usage_cursor"])[0]
        )
