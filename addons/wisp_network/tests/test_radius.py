from datetime import timedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_prepaid_plan

from .common import WispNetworkCase, radius_schema, radius_sql
from .emulators import radius_harness


class TestProvisioningRadius(WispNetworkCase):
    """The FreeRADIUS backend on a throw-away schema of FreeRADIUS's own SQL tables.

    radiusd itself is exercised by the adapter's suite (``tests/network``);
    here the Odoo side is checked: status -> rows, and the RFC 5176 session
    kick that RADIUS needs (it cannot kick by itself) against a NAS stand-in.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dsn, cls.schema = radius_schema(cls)
        cls.coa = radius_harness.CoaListener().start()
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

    def setUp(self):
        super().setUp()
        self.sql("TRUNCATE radcheck, radreply, radusergroup, radgroupreply, radacct")
        self.coa.requests.clear()

    def sql(self, query, params=None):
        return radius_sql(self.dsn, self.schema, query, params)

    def groups(self, service):
        rows = self.sql("SELECT groupname FROM radusergroup WHERE username = %s", [service.login])
        return sorted(row[0] for row in rows)

    def test_status_changes_reach_the_radius_tables(self):
        service = self.new_service(
            state="active", site_id=self.radius_site.id, ip_address="10.30.0.4"
        )
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

    def test_time_pass_limit_reaches_radius(self):
        """A 2-hour pass: its total online time as Max-All-Session (the counter's check
        item) and Session-Timeout; a second code adds up; suspended: no limit rows."""
        hour_pass = make_prepaid_plan(self.env, "Radius 2 Hours", duration=2, unit="hours")
        service = self.new_service(state="active", plan=hour_pass, site_id=self.radius_site.id)
        self.run_jobs()
        check = "SELECT attribute, value FROM radcheck WHERE username = %s ORDER BY attribute"
        self.assertIn(("Max-All-Session", "7200"), self.sql(check, [service.login]))
        reply = "SELECT value FROM radreply WHERE username = %s AND attribute = 'Session-Timeout'"
        self.assertEqual(self.sql(reply, [service.login]), [("7200",)])
        service._wisp_add_prepaid_time(7200)
        self.run_jobs()
        self.assertIn(("Max-All-Session", "14400"), self.sql(check, [service.login]))
        # the first login read from radacct starts the pass
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime) VALUES ('t1', 'tu1', %s, '127.0.0.1', now())",
            [service.login],
        )
        self.env["wisp.service"]._cron_start_prepaid_passes(commit=False)
        self.assertTrue(service.expiry_datetime)
        self.assertEqual(service.expiry_datetime - service.pass_started, timedelta(hours=4))
        service.with_user(self.billing).action_suspend()
        self.run_jobs()
        self.assertNotIn("Max-All-Session", dict(self.sql(check, [service.login])))
        self.assertFalse(self.sql(reply, [service.login]))

    def test_nas_not_answering_the_kick_retries_the_disconnect_only(self):
        service = self.new_service(state="active", site_id=self.radius_site.id)
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

    def test_check_connection_of_a_radius_router(self):
        network = self.radius_router.with_user(self.network)
        self.assertEqual(network.action_check_connection()["params"]["type"], "success")
        self.assertEqual(self.radius_router.reachability, "reachable")
        # tables that are not there: a permanent error, named, not a timeout
        self.radius_router.radius_server_id.schema = "wisp_no_such_schema"
        params = network.action_check_connection()["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("RADIUS database check failed", params["message"])
        self.assertEqual(self.radius_router.reachability, "error")

    def test_live_session_history_and_disconnect_from_radacct(self):
        service = self.new_service(state="active", site_id=self.radius_site.id)
        self.run_jobs()
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "framedipaddress, callingstationid, acctstarttime, acctinputoctets, "
            "acctoutputoctets) VALUES ('s7', 'u7', %s, '127.0.0.1', '100.64.0.7', "
            "'02:00:00:00:00:07', now() - interval '2 hours', 1000000, 2000000)",
            [service.login],
        )
        live = service.with_user(self.support)
        self.assertEqual(live.live_state, "online")
        self.assertEqual(live.live_address, "100.64.0.7")
        self.assertEqual((live.live_download_mb, live.live_upload_mb), (2.0, 1.0))

        self.env["wisp.router"]._cron_poll(commit=False)
        row = service.session_ids
        self.assertEqual((row.state, row.session_key, row.nas_address), ("open", "s7", "127.0.0.1"))
        self.assertEqual(self.radius_router.online_session_count, 1)

        # the Disconnect-Request goes to the NAS holding the session
        result = service.with_user(self.network).action_disconnect_session()
        self.assertEqual(result["params"]["type"], "success")
        (request,) = self.coa.requests
        self.assertEqual(request["Acct-Session-Id"], ["s7"])
        self.assertEqual(row.state, "closed")

        # a session the NAS reports stopped closes at the next poll
        self.sql(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime) VALUES ('s8', 'u8', %s, '127.0.0.1', now())",
            [service.login],
        )
        self.sql("UPDATE radacct SET acctstoptime = now() WHERE acctsessionid = 's7'")
        self.env["wisp.router"]._cron_poll(commit=False)
        new = service.session_ids - row
        self.assertEqual((new.state, new.session_key), ("open", "s8"))
        self.sql(
            "UPDATE radacct SET acctstoptime = now() - interval '10 minutes', "
            "acctterminatecause = 'Lost-Carrier' WHERE acctsessionid = 's8'"
        )
        self.env["wisp.router"]._cron_poll(commit=False)
        self.assertEqual(new.state, "closed")
        # the NAS's own stop time and cause, not the poll's
        self.assertEqual(new.end_cause, "Lost-Carrier")
        self.assertLess(new.stop_date, fields.Datetime.now() - timedelta(minutes=9))
        service.invalidate_recordset()  # a new request: read again
        self.assertEqual(service.with_user(self.support).live_state, "offline")

    def test_dhcp_service_is_known_by_its_mac(self):
        service = self.new_service(
            state="active",
            site_id=self.radius_site.id,
            access_method="dhcp",
            mac_address="aa:bb:cc:00:00:31",
            ip_address="10.30.0.31",
        )
        self.run_jobs()
        mac = "AA:BB:CC:00:00:31"
        self.assertEqual(
            sorted(
                self.sql("SELECT attribute, op, value FROM radcheck WHERE username = %s", [mac])
            ),
            [
                ("Auth-Type", ":=", "Accept"),
                ("Packet-Src-IP-Address", "==", "127.0.0.1"),  # this router's only
                ("Service-Type", "!*", "Framed-User"),
            ],
        )
        replies = dict(self.sql("SELECT attribute, value FROM radreply WHERE username = %s", [mac]))
        self.assertEqual(replies["Framed-IP-Address"], "10.30.0.31")
        self.assertEqual(replies["Mikrotik-Rate-Limit"], service._speed_profile().rate_limit)
        self.assertFalse(self.sql("SELECT 1 FROM radcheck WHERE username = %s", [service.login]))

        def groups():
            rows = self.sql("SELECT groupname FROM radusergroup WHERE username = %s", [mac])
            return sorted(row[0] for row in rows)

        self.assertEqual(groups(), ["wisp-dhcp"])
        service.with_user(self.billing).action_suspend()
        self.run_jobs()
        self.assertEqual(groups(), ["wisp-dhcp", "wisp-restricted"])
        service.with_user(self.network).action_terminate()
        self.run_jobs()
        self.assertEqual(groups(), [])
        self.assertFalse(self.sql("SELECT 1 FROM radcheck WHERE username = %s", [mac]))
