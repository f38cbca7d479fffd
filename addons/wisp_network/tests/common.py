"""Shared set-up: an emulated RouterOS router on loopback and a router record on it.

The RouterOS API emulator and the FreeRADIUS harness live in ``tests/emulators``
of this addon (the adapter suites in the repository's ``tests/network`` share
them): the real ``librouteros`` client talks to the emulator over TCP, so the
adapter under test never knows it is a test.

Jobs run through ``_cron_process_jobs(commit=False)``: the cron's own code path
without the intermediate commits that a test transaction forbids.
"""

import secrets
from datetime import timedelta

import psycopg2
import psycopg2.extensions

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import WispSubscriberCase, make_plan
from odoo.sql_db import connection_info_for

from .emulators import radius_harness, routeros_emulator

ROUTER_PASSWORD = "Rtr-Api-S3cret!"  # noqa: S105 - test data, asserted absent from logs


def start_emulated_router(case, site, name="Test NAS"):
    """Start a RouterOS API emulator for the test class ``case`` (stopped after the
    class) and create the router record of ``site`` on it: ``(emulator, router)``."""
    emu = routeros_emulator.RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD).start()
    case.addClassCleanup(emu.stop)
    router = case.env["wisp.router"].create(
        {
            "name": name,
            "site_id": site.id,
            "backend": "routeros",
            "host": "127.0.0.1",
            "api_port": emu.port,
            "use_tls": False,
            "username": "wisp",
            "password": ROUTER_PASSWORD,
            "timeout": 1.0,
        }
    )
    # Its creation queued a router-wide reconcile; the tests start from an empty queue.
    case.env["wisp.network.job"].search([]).unlink()
    return emu, router


def radius_schema(case):
    """FreeRADIUS's tables (and the suite's ``wisp-accounting.sql``) in a throw-away
    schema of the test database, dropped after the class ``case``: ``(dsn, schema)``."""
    _uri, info = connection_info_for(case.env.cr.dbname)
    info.pop("database", None)
    info.pop("app_name", None)
    dsn = psycopg2.extensions.make_dsn(dbname=case.env.cr.dbname, **info)
    schema = f"wisp_radius_test_{secrets.token_hex(4)}"
    radius_harness.load_freeradius_schema(dsn, schema)

    def drop():
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()

    case.addClassCleanup(drop)
    return dsn, schema


def radius_sql(dsn, schema, query, params=None):
    """Run one statement on the RADIUS tables (committed); its rows, if any."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute(query, params)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def capped_plan(env, name):
    """A 50/10 Mbit/s plan with a 1 GB data cap, throttled to 2/0.5 Mbit/s beyond it."""
    return make_plan(
        env,
        name,
        45.0,
        download_kbps=50000,
        upload_kbps=10000,
        data_cap_gb=1,
        fup_download_kbps=2000,
        fup_upload_kbps=500,
    )


class WispNetworkCase(WispSubscriberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emu, cls.router = start_emulated_router(cls, cls.site)
        cls.plan.write({"burst_download_kbps": 30000, "burst_upload_kbps": 6000})
        cls.plan_capped = capped_plan(cls.env, "Test Capped 50")
        cls.Job = cls.env["wisp.network.job"]

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.emu.faults.hang = False
        self.emu.faults.delay = 0.0
        self.emu.set_refuse(False)

    # -------------------------------------------------------------- helpers
    def run_jobs(self):
        return self.Job._cron_process_jobs(commit=False)

    def time_passes(self):
        """Every pending job's backoff has expired."""
        self.Job.search([("state", "=", "pending")]).write(
            {"next_try": fields.Datetime.now() - timedelta(seconds=1)}
        )

    def secret(self, service):
        return self.emu.row("/ppp/secret", service.login)

    def profile_of(self, service):
        secret = self.secret(service)
        return secret and self.emu.row("/ppp/profile", secret["profile"])

    def jobs_of(self, service):
        return self.Job.search([("service_id", "=", service.id)])
