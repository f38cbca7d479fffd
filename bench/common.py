"""Shared set-up for benchmarks: an Odoo registry on a dedicated database.

Each benchmark is a plain script run by ``bin/wisp bench``; it prints its
figures and leaves the database as it found it (work is rolled back).
"""

import hashlib
import importlib.util
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

ADDONS = os.environ.get("WISP_ADDONS") or str(
    pathlib.Path(__file__).resolve().parent.parent / "addons"
)
FINGERPRINT_KEY = "wisp_bench.source_fingerprint"


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
        odoo_command(database, "-i", ",".join(missing), ADDONS)
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


def pg_execute(sql, params=None, dbname="postgres"):
    import psycopg2

    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True  # CREATE / DROP DATABASE refuse to run in a transaction
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def filestore(database):
    from odoo.tools import config

    return config.filestore(database)


def drop_database(name):
    pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(filestore(name), ignore_errors=True)


def install(database, module, addons_path):
    if database_exists(database):
        return
    print(f"creating {database} with {module} (no demo data)", flush=True)
    try:
        odoo_command(database, "-i", module, addons_path)
    except BaseException:
        drop_database(database)
        raise
    store_fingerprint(database)


def odoo_cli(database, *options, addons_path=ADDONS):
    """The command line of Odoo on ``database`` with ``options``."""
    return [
        sys.executable,
        "-m",
        "odoo",
        f"--addons-path={addons_path}",
        "-d",
        database,
        *options,
    ]


def odoo_command(database, option, module, addons_path):
    subprocess.run(
        odoo_cli(
            database,
            option,
            module,
            "--stop-after-init",
            "--log-level=warn",
            addons_path=addons_path,
        ),
        check=True,
    )


def source_fingerprint(database):
    """Hash of the sources of our addons installed in ``database``."""
    installed = {
        name
        for (name,) in pg_execute(
            "SELECT name FROM ir_module_module WHERE state = 'installed'", dbname=database
        )
    }
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(ADDONS).glob("*/**/*")):
        module = path.relative_to(ADDONS).parts[0]
        if module in installed and path.suffix in {".py", ".xml", ".csv"}:
            digest.update(str(path.relative_to(ADDONS)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def store_fingerprint(database):
    pg_execute(
        "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [FINGERPRINT_KEY, source_fingerprint(database)],
        database,
    )


def ensure_upgraded(database):
    """Upgrade our addons in ``database`` unless it was made from their current code.

    ``-u wisp_subscriber`` upgrades every installed wisp addon (they all depend on
    it): upgrading only the one measured would leave a changed dependency's tables
    and views behind.
    """
    stored = pg_execute(
        "SELECT value FROM ir_config_parameter WHERE key = %s", [FINGERPRINT_KEY], database
    )
    if stored and stored[0][0] == source_fingerprint(database):
        return
    print(f"our addons changed since {database} was made: upgrading them", flush=True)
    odoo_command(database, "-u", "wisp_subscriber", ADDONS)
    store_fingerprint(database)


def ensure_chart(env):
    """The main company needs a chart of accounts; say where it came from."""
    company = env.company
    if company.chart_template:
        return f"{company.chart_template} (installed by Odoo)"
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    return "generic_coa (loaded by the benchmark)"


def make_plans(env, *plans):
    """WISP plans (service products), one per dict of its values (name, price, speeds),
    made in one create.

    Not wisp_subscriber's ``tests.common.make_plan``: importing it imports that tests
    package, every test module of it with ``odoo.tests``, into each benchmark.
    """
    return env["product.product"].create(
        [{"type": "service", "is_wisp_plan": True, **plan} for plan in plans]
    )


def load_module(name, path, package=False):
    """Import the file ``path`` as module ``name`` (``package``: its ``__init__.py``),
    without Odoo: the adapters and emulators are loaded from the addons by path."""
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
