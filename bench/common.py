"""Shared set-up for benchmarks: an Odoo registry on a dedicated database.

Each benchmark is a plain script run by ``bin/wisp bench``; it prints its
figures and leaves the database as it found it (work is rolled back).
"""

import os
import pathlib
import resource
import subprocess
import sys
import time
from contextlib import contextmanager

ADDONS = os.environ.get("WISP_ADDONS") or str(
    pathlib.Path(__file__).resolve().parent.parent / "addons"
)


def database_exists(name):
    import psycopg2

    with psycopg2.connect(dbname="postgres") as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


def missing_modules(database, modules):
    """Names in ``modules`` (comma-separated) not installed in ``database``."""
    import psycopg2

    names = modules.split(",")
    if not database_exists(database):
        return names
    with psycopg2.connect(dbname=database) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT name FROM ir_module_module WHERE name IN %s AND state = 'installed'",
            [tuple(names)],
        )
        installed = {row[0] for row in cr.fetchall()}
    return [name for name in names if name not in installed]


def odoo_env(database, modules):
    """Return the registry of ``database``, installing ``modules`` first if needed."""
    missing = missing_modules(database, modules)
    if missing:
        print(f"installing {','.join(missing)} on benchmark database {database}", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "odoo",
                f"--addons-path={ADDONS}",
                "-d",
                database,
                "-i",
                ",".join(missing),
                "--stop-after-init",
                "--log-level=warn",
            ],
            check=True,
        )
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config([f"--addons-path={ADDONS}", "-d", database, "--log-level=warn"])
    return Registry(database)


@contextmanager
def measure():
    """Yield a dict that receives seconds, SQL queries and the process's peak RSS."""
    from odoo import sql_db

    figures = {}
    queries, started = sql_db.sql_counter, time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - started
        figures["queries"] = sql_db.sql_counter - queries
        figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
