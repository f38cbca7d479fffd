import importlib.util
import pathlib

import psycopg2.extensions

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import WispNetworkCase, radius_schema, radius_sql
from .emulators import radius_harness

SECRET_A = "Tower-A-S3cret"  # noqa: S105 - test data, asserted absent from errors
SECRET_B = "Tower-B-S3cret"  # noqa: S105 - test data
DB_PASSWORD = "Radius-Db-Pw-77"  # noqa: S105 - test data


class TestRadiusServer(WispNetworkCase):
    """Two routers on one FreeRADIUS database (a schema of the test database), through
    the job queue, then checked against the real radiusd running the shipped config."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.harness = radius_harness
        cls.dsn, cls.schema = radius_schema(cls)
        cls.server = cls.env["wisp.radius.server"].create(
            {"name": "Central FreeRADIUS", "dsn": cls.dsn, "schema": cls.schema}
        )
        cls.site_a = cls.env["wisp.site"].create({"name": "Tower A", "code": "TWA"})
        cls.site_b = cls.env["wisp.site"].create({"name": "Tower B", "code": "TWB"})
        cls.router_a, cls.router_b = cls.env["wisp.router"].create(
            [
                {
                    "name": name,
                    "site_id": site.id,
                    "backend": "radius",
                    "host": host,
                    "radius_server_id": cls.server.id,
                    "coa_secret": secret,
                    "timeout": 1.0,
                }
                for name, site, host, secret in (
                    ("Tower A NAS", cls.site_a, "127.0.0.2", SECRET_A),
                    ("Tower B NAS", cls.site_b, "127.0.0.3", SECRET_B),
                )
            ]
        )
        cls.env["wisp.network.job"].search([]).unlink()

    def sql(self, query, params=None):
        return radius_sql(self.dsn, self.schema, query, params)

    def scope_of(self, service):
        rows = self.sql(
            "SELECT value FROM radcheck WHERE username = %s AND attribute = "
            "'Packet-Src-IP-Address'",
            [service.login],
        )
        return [row[0] for row in rows]

    def reconcile(self, *routers):
        for router in routers:
            router.with_user(self.network).action_reconcile()
        self.run_jobs()

    def test_two_routers_share_one_radius_database(self):
        anna = self.new_service(state="active", site_id=self.site_a.id)
        bert = self.new_service(state="active", site_id=self.site_b.id)
        self.assertEqual((anna.router_id, bert.router_id), (self.router_a, self.router_b))
        self.reconcile(self.router_a, self.router_b)
        self.assertEqual(self.scope_of(anna), ["127.0.0.2"])
        self.assertEqual(self.scope_of(bert), ["127.0.0.3"])
        self.assertEqual(
            self.sql("SELECT nasname, shortname, type, secret FROM nas ORDER BY nasname"),
            [
                ("127.0.0.2", "Tower A NAS", "mikrotik", SECRET_A),
                ("127.0.0.3", "Tower B NAS", "mikrotik", SECRET_B),
            ],
        )
        self.assertTrue(
            any("restart radiusd" in body for body in self.router_a.message_ids.mapped("body"))
        )

        # a full reconcile of A leaves B's login where it is
        self.reconcile(self.router_a)
        self.assertEqual(self.router_a.last_reconcile_removed, 0)
        self.assertEqual(self.scope_of(bert), ["127.0.0.3"])

        # the real radiusd, with the shipped configuration, reading its clients from SQL
        dsn = psycopg2.extensions.make_dsn(self.dsn, options=f"-c search_path={self.schema}")
        radiusd = self.harness.RadiusServer(dsn).start()
        self.addCleanup(radiusd.stop)

        def accepted(service, source, secret):
            password = service.sudo().network_password
            return radiusd.authenticate(
                service.login, password, timeout=1.0, retries=1, source=source, secret=secret
            )[0]

        self.assertTrue(accepted(anna, "127.0.0.2", SECRET_A))
        self.assertTrue(accepted(bert, "127.0.0.3", SECRET_B))
        self.assertFalse(accepted(anna, "127.0.0.3", SECRET_B), "A's login on B")
        self.assertFalse(accepted(bert, "127.0.0.2", SECRET_A), "B's login on A")

        # a service moved to the other tower moves with it, whichever job runs first
        anna.with_user(self.network).write({"site_id": self.site_b.id})
        self.assertEqual(anna.router_id, self.router_b)
        self.run_jobs()
        self.assertEqual(self.scope_of(anna), ["127.0.0.3"])
        self.assertTrue(accepted(anna, "127.0.0.3", SECRET_B))
        self.assertFalse(accepted(anna, "127.0.0.2", SECRET_A))

    def test_bad_radius_setup_gives_a_clear_error(self):
        lone_site = self.env["wisp.site"].create({"name": "Lone Tower", "code": "LONE"})
        lone = self.env["wisp.router"].create(
            {"name": "Lone NAS", "site_id": lone_site.id, "backend": "radius", "host": "10.8.0.1"}
        )
        service = self.new_service(state="active", site_id=lone_site.id)
        self.run_jobs()
        job = self.jobs_of(service).sorted("id")[-1:]
        self.assertEqual(job.state, "failed")
        self.assertIn("no RADIUS server chosen", job.last_error)
        self.assertEqual(lone.reachability, "error")

        # the router's host is a name: radiusd needs the address it sends from
        lone.write({"radius_server_id": self.server.id, "host": "lone.tower.lan"})
        lone.coa_secret = "Lone-S3cret"  # noqa: S105 - test data
        service.with_user(self.network).action_sync_network()
        self.run_jobs()
        self.assertIn("must be an IP address", self.jobs_of(service).sorted("id")[-1].last_error)

        for record, values, message in (
            (lone, {"nas_address": "tower.lan"}, "NAS address must be an IP address"),
            (lone, {"nas_address": "127.0.0.2"}, "send RADIUS from the same address"),
            (self.server, {"address": "radius.lan"}, "RADIUS address must be an IP address"),
        ):
            with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
                record.write(values)

    def test_only_network_staff_see_radius_servers_and_secrets(self):
        for user in (self.support, self.billing, self.installer):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["wisp.radius.server"].with_user(user).search_read([], ["dsn"])
                with self.assertRaises(AccessError):
                    self.server.with_user(user).read(["name"])
                with self.assertRaises(AccessError):
                    self.server.with_user(user).write({"dsn": "dbname=mine"})
                router = self.router_a.with_user(user)
                for field in ("radius_server_id", "coa_secret"):
                    with self.assertRaises(AccessError):
                        router.read([field])
        server = self.server.with_user(self.network)
        self.assertEqual(server.read(["dsn"])[0]["dsn"], self.dsn)
        server.write({"address": "10.0.0.2"})
        self.assertEqual(self.router_a.with_user(self.network).coa_secret, SECRET_A)

    def test_malformed_database_string_is_refused_without_quoting_it(self):
        with self.assertRaises(ValidationError) as info, self.env.cr.savepoint():
            self.server.dsn = "host=127.0.0.1 dbname=radius password=Db Pa55word"
        self.assertIn("malformed", str(info.exception))
        self.assertNotIn("Pa55word", str(info.exception))
        self.assertEqual(self.server.dsn, self.dsn)

    def test_database_errors_hide_the_access(self):
        server = self.env["wisp.radius.server"].create(
            {
                "name": "Unreachable",
                "dsn": f"host=127.0.0.1 port=9 dbname=radius user=wisp password={DB_PASSWORD}",
            }
        )
        self.router_a.radius_server_id = server
        service = self.new_service(state="active", site_id=self.site_a.id)
        self.run_jobs()
        error = self.jobs_of(service).sorted("id")[-1].last_error
        self.assertIn("RADIUS database connect failed", error)
        for secret in (DB_PASSWORD, SECRET_A):
            self.assertNotIn(secret, error)
            self.assertNotIn(secret, self.router_a.last_error or "")


def _load_migration():
    path = pathlib.Path(__file__).parents[1] / "migrations/19.0.1.1.0/post-migrate.py"
    spec = importlib.util.spec_from_file_location("wisp_network_migration_1_1", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


class TestRadiusServerMigration(WispNetworkCase):
    """19.0.1.1.0: routers that held their own RADIUS database become routers of a
    RADIUS server; the old columns (with the database password) are dropped."""

    def test_routers_with_their_own_database_get_a_server(self):
        migration = _load_migration()
        cr = self.env.cr
        # the table as 19.0.1.0.0 left it (rolled back with the test)
        cr.execute("ALTER TABLE wisp_router ADD COLUMN radius_dsn varchar")
        cr.execute("ALTER TABLE wisp_router ADD COLUMN radius_schema varchar")
        site = self.env["wisp.site"].create({"name": "Old Towers", "code": "OLD"})
        tower_1, tower_2, tower_3 = self.env["wisp.router"].create(
            [
                {"name": name, "site_id": site.id, "backend": "radius", "host": host}
                for name, host in (("T1", "10.1.0.1"), ("T2", "10.1.0.2"), ("T3", "10.1.0.3"))
            ]
        )
        self.env.flush_all()
        for router, dsn, schema in (
            (tower_1, "dbname=radius password=Old-Pw", "t1"),
            (tower_2, "dbname=radius password=Old-Pw", "t1"),  # the same database and schema
            (tower_3, "dbname=radius password=Old-Pw", None),
        ):
            cr.execute(
                "UPDATE wisp_router SET radius_dsn = %s, radius_schema = %s WHERE id = %s",
                (dsn, schema, router.id),
            )
        self.Job.search([]).unlink()
        migration.migrate(cr, "19.0.1.0.0")
        self.env.invalidate_all()

        self.assertEqual(tower_1.radius_server_id, tower_2.radius_server_id)
        self.assertNotEqual(tower_1.radius_server_id, tower_3.radius_server_id)
        self.assertEqual(
            (tower_1.radius_server_id.dsn, tower_1.radius_server_id.schema),
            ("dbname=radius password=Old-Pw", "t1"),
        )
        self.assertFalse(tower_3.radius_server_id.schema)
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'wisp_router' AND column_name LIKE 'radius_%%'"
        )
        self.assertEqual(cr.fetchall(), [("radius_server_id",)])
        reconciles = self.Job.search([("kind", "=", "reconcile")])
        self.assertEqual(reconciles.router_id, tower_1 | tower_2 | tower_3)
        self.assertEqual(tower_1.radius_server_id.company_id, site.company_id)


# post_install: another company is created, with every installed module's columns
@tagged("post_install", "-at_install")
class TestRadiusServerMigrationCompanies(WispNetworkCase):
    def test_a_database_of_several_companies_gets_a_shared_server(self):
        migration = _load_migration()
        cr = self.env.cr
        cr.execute("ALTER TABLE wisp_router ADD COLUMN radius_dsn varchar")
        cr.execute("ALTER TABLE wisp_router ADD COLUMN radius_schema varchar")
        other = self.env["res.company"].create({"name": "Other WISP"})
        sites = self.env["wisp.site"].create(
            [
                {"name": "Ours", "code": "OUR"},
                {"name": "Theirs", "code": "THR", "company_id": other.id},
            ]
        )
        routers = self.env["wisp.router"].create(
            [
                {"name": f"R{i}", "site_id": site.id, "backend": "radius", "host": f"10.2.0.{i}"}
                for i, site in enumerate(sites, 1)
            ]
        )
        self.env.flush_all()
        cr.execute(
            "UPDATE wisp_router SET radius_dsn = 'dbname=radius' WHERE id = ANY(%s)",
            (routers.ids,),
        )
        migration.migrate(cr, "19.0.1.0.0")
        self.env.invalidate_all()

        server = routers.radius_server_id
        self.assertEqual(len(server), 1)
        self.assertFalse(server.company_id, "each company's engineers must see it")
