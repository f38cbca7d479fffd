import secrets

import psycopg2
import psycopg2.extensions

from odoo.sql_db import connection_info_for

from .common import WispNetworkCase, load_network_fixture


class TestProvisioningRadius(WispNetworkCase):
    """The FreeRADIUS backend on a throw-away schema of FreeRADIUS's own SQL tables.

    radiusd itself is exercised by the adapter's suite (``tests/network``);
    here the Odoo side is checked: status -> rows, and the RFC 5176 session
    kick that RADIUS needs (it cannot kick by itself) against a NAS stand-in.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        harness = load_network_fixture("radius_harness")
        _uri, info = connection_info_for(cls.env.cr.dbname)
        info.pop("database", None)
        info.pop("app_name", None)
        cls.dsn = psycopg2.extensions.make_dsn(dbname=cls.env.cr.dbname, **info)
        cls.schema = f"wisp_radius_test_{secrets.token_hex(4)}"
        harness.load_freeradius_schema(cls.dsn, cls.schema)
        cls.addClassCleanup(cls._drop_schema)
        cls.coa = harness.CoaListener().start()
        cls.addClassCleanup(cls.coa.stop)
        cls.radius_site = cls.env["wisp.site"].create({"name": "Radius Tower", "code": "RAD"})
        cls.radius_router = cls.env["wisp.router"].create(
            {
                "name": "RADIUS NAS",
                "site_id": cls.radius_site.id,
                "backend": "radius",
                "host": cls.coa.host,
                "radius_server_id": cls.env["wisp.radius.server"]
                .create({"name": "Test FreeRADIUS", "dsn": cls.dsn, "schema": cls.schema})
                .id,
                "coa_secret": cls.coa.secret,
                "coa_port": cls.coa.port,
                "timeout": 1.0,
            }
        )
        cls.env["wisp.network.job"].search([]).unlink()

    @classmethod
    def _drop_schema(cls):
        with psycopg2.connect(cls.dsn) as conn, conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{cls.schema}" CASCADE')
        conn.close()

    def setUp(self):
        super().setUp()
        self.sql("TRUNCATE radcheck, radreply, radusergroup, radgroupreply, radacct")
        self.coa.requests.clear()

    def sql(self, query, params=None):
        with psycopg2.connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{self.schema}"')
            cur.execute(query, params)
            rows = cur.fetchall() if cur.description else None
        conn.close()
        return rows

    def groups(self, service):
        rows = self.sql("SELECT groupname FROM radusergroup WHERE username = %s", [service.login])
        return sorted(row[0] for row in rows)

    def test_status_changes_reach_the_radius_tables(self):
        service = self.new_service("active", site_id=self.radius_site.id, ip_address="10.30.0.4")
        self.assertEqual(service.router_id, self.radius_router)
        self.run_jobs()
        self.assertEqual(
            self.sql(
                "SELECT attribute, value FROM radcheck WHERE username = %s ORDER BY id",
                [service.login],
            ),
            [
                ("Cleartext-Password", service.sudo().network_password),
                ("Packet-Src-IP-Address", "127.0.0.1"),  # the login is this router's only
            ],
        )
        replies = dict(
            self.sql("SELECT attribute, value FROM radreply WHERE username = %s", [service.login])
        )
        self.assertEqual(
            replies["Mikrotik-Rate-Limit"], "4000k/20000k 6000k/30000k 3000k/15000k 8/8"
        )
        self.assertEqual(replies["Framed-IP-Address"], "10.30.0.4")
        self.assertEqual(self.groups(service), ["wisp-pppoe"])
        self.assertEqual(self.radius_router.reachability, "reachable")

        # An open session: suspending must kick it (Disconnect-Request to the NAS).
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime) VALUES ('s1', 'u1', %s, '127.0.0.1', now())",
            [service.login],
        )
        service.with_user(self.billing).action_suspend()
        self.run_jobs()
        self.assertEqual(self.groups(service), ["wisp-pppoe", "wisp-restricted"])
        (request,) = self.coa.requests
        self.assertEqual(request["User-Name"], [service.login])
        self.assertIn("session dropped", self.jobs_of(service)[0].result)

        service.with_user(self.network).action_terminate()
        self.run_jobs()
        self.assertEqual(self.groups(service), [])
        self.assertFalse(
            self.sql("SELECT 1 FROM radcheck WHERE username = %s", [service.login]),
            "a terminated service is rejected: nothing left",
        )

    def test_nas_not_answering_the_kick_retries_the_disconnect_only(self):
        service = self.new_service("active", site_id=self.radius_site.id)
        self.run_jobs()
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime) VALUES ('s2', 'u2', %s, '127.0.0.1', now())",
            [service.login],
        )
        self.radius_router.coa_secret = "not-the-nas-secret"  # the NAS drops the request  # noqa: S105 - test data
        service.with_user(self.billing).action_suspend()
        self.run_jobs()
        job = self.jobs_of(service)[0]
        self.assertEqual((job.kind, job.state), ("disconnect", "pending"))
        self.assertEqual(self.groups(service), ["wisp-pppoe", "wisp-restricted"])

        self.radius_router.coa_secret = self.coa.secret
        self.time_passes()
        self.run_jobs()
        self.assertEqual((job.state, job.result), ("done", "session dropped"))
