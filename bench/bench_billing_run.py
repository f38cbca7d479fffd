"""Bill 10,000 subscribers (1-3 services each) with our billing run, then the
same data with OCA ``contract``; print invoices/second, peak memory and the ratio.

Ours: ``wisp.billing.run._schedule(day)`` cuts the due subscribers into chunks,
then ``--workers`` separate processes (each with its own registry, like cron
workers or Odoo nodes) call ``_cron_process_chunks()``, which commits per chunk.
OCA: ``contract.contract.cron_recurring_create_invoice()``, its single cron, in
one process; it leaves draft invoices, so posting them is timed as well and
both figures are printed.

The data is built once through the ORM into PostgreSQL template databases and
kept for later runs; every measurement bills a fresh copy (CREATE DATABASE ...
TEMPLATE ...) that is dropped afterwards:

    wisp_bench_billing            wisp_billing installed, no data ($WISP_BENCH_BILLING_DB)
    wisp_bench_billing_tpl_N      + N subscribers (partner ref BBENCH-...)
    wisp_bench_billing_oca        OCA contract installed, no data
    wisp_bench_billing_oca_tpl_N  + the same N partners, one contract each
    wisp_bench_billing_run, wisp_bench_billing_oca_run   the measured copies

    bin/wisp bench --only billing -- --subscribers 10000 --workers 2

``--messages`` bills the same data twice, with the "invoice issued" subscriber
message switched off for the company, then on (every subscriber given an e-mail
address), prints both throughputs, then drains queued messages the way the
sending cron does (``wisp.message._cron_send``: the invoice PDF rendered and the
e-mail posted to Odoo's mail queue) in ``--workers`` processes at once, as that
many cron workers would, and prints messages/s. Without Odoo's patched-Qt
wkhtmltopdf each message costs its own PDF run, so only the first
``--drain-sample`` messages are drained (the rest deferred) and the time for all
of them is extrapolated. SMTP delivery itself is Odoo's mail queue's, not
measured here.

``--offers`` bills the same data twice more: as it is, then with offers on a
quarter of the subscribers (their internet plan at half price for three cycles, and
a closed usage period 12.4 GB past a 100 GB allowance charged per started GB), and
prints the change in invoices/s (issue target: within 15%).

OCA contract (PyPI ``odoo-addon-contract``, 19.0 series) is pip-installed into
this Python on first use, without dependencies: its only requirement is Odoo
itself, and resolving that would upgrade Odoo's own libraries.
"""

import argparse
import importlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from importlib import metadata

from common import (
    ADDONS,
    database_exists,
    drop_database,
    ensure_chart,
    ensure_upgraded,
    filestore,
    install,
    make_plans,
    pg_execute,
)

# another name keeps two benchmarks on one server apart (e.g. two worktrees)
BASE_DB = os.environ.get("WISP_BENCH_BILLING_DB", "wisp_bench_billing")
OCA_BASE_DB = "wisp_bench_billing_oca"
REF_PREFIX = "BBENCH-"
OCA_REQUIREMENT = "odoo-addon-contract>=19.0,<19.1"
BATCH = 500
# (name, service type, monthly price, download kbit/s); the plans are untaxed.
PLANS = [
    ("Bench billing 10M", "internet", 19.0, 10_000),
    ("Bench billing 25M", "internet", 29.0, 25_000),
    ("Bench billing 50M", "internet", 45.0, 50_000),
    ("Bench billing TV", "iptv", 9.5, 0),
]
# --offers: every OFFER_EVERY-th subscriber's internet service gets a promotion of
# PROMO_PERCENT and a closed usage period USED_MB past its plan's CAP_GB, charged
# per started GB at GB_PRICE (13 GB here).
OFFER_EVERY = 4
PROMO_PERCENT = 50
CAP_GB, USED_MB, GB_PRICE = 100, 112_400, 2.0


def subscriber_plans(count):
    """Plan indexes of each subscriber's services: one internet plan and 0-2 TV."""
    rng = random.Random(42)
    return [[rng.randrange(3)] + [3] * rng.randint(0, 2) for _i in range(count)]


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------
def copy_database(template, name):
    """A fresh copy of ``template`` (and of its filestore) named ``name``."""
    drop_database(name)
    pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    source = filestore(template)
    if os.path.isdir(source):
        shutil.copytree(source, filestore(name))


def ensure_template(base, template, role, addons_path, *, subscribers, run_date):
    """Build ``template`` from ``base`` with the benchmark data, unless it exists."""
    if database_exists(template):
        return
    building = f"{template}_building"
    copy_database(base, building)
    print(f"building {template}: {subscribers} subscribers", flush=True)
    try:
        result = call_role(role, building, addons_path, subscribers, run_date)
        print(f"chart of accounts: {result['chart']}", flush=True)
        pg_execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        if os.path.isdir(filestore(building)):
            os.rename(filestore(building), filestore(template))
    finally:
        drop_database(building)


def single_value(database, sql):
    return pg_execute(sql, dbname=database)[0][0]


# ---------------------------------------------------------------------------
# Roles run in child processes: each bootstraps its own registry
# ---------------------------------------------------------------------------
def call_role(role, database, addons_path, subscribers=0, run_date=None):
    """Run ``role`` in a child process and return the JSON it prints last."""
    done = subprocess.run(
        role_command(role, database, addons_path, subscribers, run_date),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def role_command(role, database, addons_path, subscribers=0, run_date=None):
    return [
        sys.executable,
        __file__,
        f"--role={role}",
        f"--database={database}",
        f"--addons-path={addons_path}",
        f"--subscribers={subscribers}",
        f"--run-date={run_date or ''}",
    ]


def registry_for(database, addons_path):
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config([f"--addons-path={addons_path}", "-d", database, "--log-level=warn"])
    return Registry(database)


def role_main(args):
    from odoo import SUPERUSER_ID, api, sql_db

    registry = registry_for(args.database, args.addons_path)
    run_date = date.fromisoformat(args.run_date) if args.run_date else None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.role == "worker":
            print("ready", flush=True)
            sys.stdin.readline()  # "go": the run is scheduled
            cpu, queries = cpu_seconds(), sql_db.sql_counter
            result = work_chunks(env)
            result["cpu_seconds"] = cpu_seconds() - cpu
            result["queries"] = sql_db.sql_counter - queries
        elif args.role == "drain":
            result = drain_messages(env)
        elif args.role == "oca-run":
            cpu, queries = cpu_seconds(), sql_db.sql_counter
            result = oca_run(env, run_date)
            result["cpu_seconds"] = cpu_seconds() - cpu
            result["queries"] = sql_db.sql_counter - queries
        else:
            env = env(context={"tracking_disable": True, "mail_notrack": True})
            result = {"chart": ensure_chart(env)}
            if args.role == "populate-oca":
                populate_oca(env, args.subscribers, run_date)
            else:
                offers = args.role == "populate-wisp-offers"
                populate_wisp(env, args.subscribers, run_date, offers=offers)
            cr.commit()
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)
    if args.role in ("worker", "drain"):
        # stay up until the whole crew is done: the drains' PDFs fetch their
        # stylesheets from one drain's HTTP server
        sys.stdin.readline()


def serve_http():
    """Odoo's HTTP server in a thread of this process; returns its URL. The invoice
    PDFs' wkhtmltopdf fetches their stylesheets from the report URL, as from a
    production server. Without one every run fails to load them, exits 1, and a run
    of several invoices is then refused by a wkhtmltopdf without patched Qt
    (Debian's)."""
    import socket

    import odoo.http
    from odoo.service import server
    from odoo.tools import config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config["http_interface"], config["http_port"] = "127.0.0.1", port
    server.ThreadedServer(odoo.http.root).http_spawn()
    return f"http://127.0.0.1:{port}"


def drain_messages(env):
    """Send the due subscriber messages as the cron does (a commit per batch), side by
    side with the other drain processes: ``FOR UPDATE SKIP LOCKED`` shares them out."""
    print(f"ready {serve_http()}", flush=True)
    sys.stdin.readline()  # "go": every drain process has its registry and server
    cpu, started = cpu_seconds(), time.perf_counter()
    env["wisp.message"]._cron_send()
    return {"wall": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}


def defer_all_but(cr, sample):
    """Leave only the first ``sample`` queued messages due; returns how many were queued."""
    cr.execute("SELECT count(*) FROM wisp_message WHERE state = 'queued'")
    queued = cr.fetchone()[0]
    cr.execute(
        """
        UPDATE wisp_message SET next_attempt = now() at time zone 'utc' + interval '1 day'
         WHERE state = 'queued'
           AND id NOT IN (SELECT id FROM wisp_message WHERE state = 'queued'
                           ORDER BY id LIMIT %s)
        """,
        [sample],
    )
    return queued


def measure_drain(registry, database, args):
    """Drain a sample of the queued messages with ``args.workers`` processes at once."""
    with registry.cursor() as cr:
        queued = defer_all_but(cr, args.drain_sample)
    with Crew("drain", database, args.workers) as drains:
        with registry.cursor() as cr:
            # one report URL for the database: any drain process's server will do
            cr.execute(
                "UPDATE ir_config_parameter SET value = %s WHERE key = 'report.url'",
                [drains.ready_lines[0]],
            )
            if not cr.rowcount:
                cr.execute(
                    "INSERT INTO ir_config_parameter (key, value) VALUES ('report.url', %s)",
                    [drains.ready_lines[0]],
                )
        started = time.perf_counter()
        results = drains.go()
        wall = time.perf_counter() - started
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM wisp_message WHERE next_attempt <= now() at time zone"
            " 'utc' OR state != 'queued' GROUP BY state"
        )
        states = dict(cr.fetchall())
    return {
        "queued": queued,
        "sample": min(queued, args.drain_sample),
        "processes": args.workers,
        "wall": wall,
        "cpu_seconds": sum(result["cpu_seconds"] for result in results),
        "states": states,
    }


class Crew:
    """``count`` processes of ``role`` on ``database``: each loads its registry and
    says ``ready`` (with what it offers, kept in ``ready_lines``); :meth:`go` starts
    them together, collects the JSON each prints when done, then lets them all end
    together. Killed on leaving."""

    def __init__(self, role, database, count):
        self.processes = [
            subprocess.Popen(
                role_command(role, database, ADDONS),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _i in range(count)
        ]
        self.role = role
        self.ready_lines = []

    def __enter__(self):
        for process in self.processes:
            word, _space, rest = process.stdout.readline().strip().partition(" ")
            if word != "ready":
                raise RuntimeError(f"a {self.role} process did not start")
            self.ready_lines.append(rest)
        return self

    def go(self):
        for process in self.processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [self._result(process) for process in self.processes]
        for process in self.processes:
            process.communicate("done\n")
        if any(process.returncode for process in self.processes):
            raise RuntimeError(f"a {self.role} process failed")
        return results

    def _result(self, process):
        """The JSON line ``process`` prints when its part is done."""
        for line in process.stdout:
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"a {self.role} process failed")

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is None:
                process.kill()


def set_invoice_messages(env, on):
    """Switch the "invoice issued" message on (with an e-mail address for every bench
    subscriber, so that each invoice queues one) or off for the company."""
    event = env.ref("wisp_billing.message_event_invoice_issued")
    event.with_company(env.company).enabled = on
    if on:
        env.cr.execute(
            "UPDATE res_partner SET email = lower(ref) || '@bench.invalid'"
            " WHERE ref LIKE %s AND email IS NULL",
            [f"{REF_PREFIX}%"],
        )
    env.invalidate_all()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plan_products(extra):
    """The PLANS' products, untaxed, with ``extra(service_type, kbps)``: both sides bill
    the same names and prices."""
    from odoo import Command

    return [
        {
            "name": name,
            "type": "service",
            "list_price": price,
            "taxes_id": [Command.clear()],
            **extra(service_type, kbps),
        }
        for name, service_type, price, kbps in PLANS
    ]


def create_partners(env, count, start, extra):
    return env["res.partner"].create(
        [
            {"name": f"Bench billing subscriber {i}", "ref": f"{REF_PREFIX}{i:06d}", **extra}
            for i in range(start, min(start + BATCH, count))
        ]
    )


def populate_wisp(env, count, run_date, offers=False):
    """Active services billed up to the day before ``run_date``, all due that day;
    ``offers``: with promotions and usage charges on a quarter of the subscribers.

    Everything is written in bulk: activating services one by one would bill them.
    """
    plans = make_plans(
        env,
        *plan_products(
            lambda service_type, kbps: {
                "service_type": service_type,
                "download_kbps": kbps,
                "upload_kbps": kbps // 5,
            }
        ),
    )
    if offers:
        offer_plans(env, plans.filtered(lambda p: p.service_type == "internet"))
    Service = env["wisp.service"].with_context(wisp_transition="bench")
    layout = subscriber_plans(count)
    for start in range(0, count, BATCH):
        partners = create_partners(
            env, count, start, {"wisp_billing_day": 1, "wisp_billing_mode": "advance"}
        )
        services = Service.create(
            [
                {
                    "partner_id": partner.id,
                    "plan_id": plans[index].id,
                    "service_type": plans[index].service_type,
                }
                for partner, indexes in zip(partners, layout[start:], strict=False)
                for index in indexes
            ]
        )
        services.write(
            {
                "state": "active",
                "activation_date": run_date - timedelta(days=40),
                "billed_until": run_date - timedelta(days=1),
            }
        )
        partners.write({"wisp_next_billing_date": run_date})
        if offers:
            give_offers(env, services, start, run_date)
        env.flush_all()
        env.invalidate_all()


def offer_plans(env, internet_plans):
    """Internet plans charging usage past their cap, on an untaxed product."""
    overage = env["product.product"].create(
        {"name": "Bench billing overage", "type": "service", "taxes_id": [(5, 0, 0)]}
    )
    # on the templates in one write: the variants set related fields one by one, and the
    # plan's checks would see a cap without its policy
    internet_plans.product_tmpl_id.write(
        {
            "data_cap_gb": CAP_GB,
            "data_cap_policy": "overage",
            "overage_price_per_gb": GB_PRICE,
            "overage_product_id": overage.id,
        }
    )


def give_offers(env, services, start, run_date):
    """The internet service of every OFFER_EVERY-th subscriber of this batch: a
    promotion from ``run_date`` and the cycle before closed past its allowance."""
    promotion = env["wisp.promotion"].search([("name", "=", "Bench billing promotion")])
    if not promotion:
        promotion = promotion.create(
            {
                "name": "Bench billing promotion",
                "discount_type": "percent",
                "value": PROMO_PERCENT,
                "duration_cycles": 3,
            }
        )
    chosen = services.filtered(
        lambda s: (
            s.service_type == "internet"
            and int(s.commercial_partner_id.ref[len(REF_PREFIX) :]) % OFFER_EVERY == 0
        )
    )
    env["wisp.service.promotion"].create(
        [{"service_id": s.id, "promotion_id": promotion.id, "date_start": run_date} for s in chosen]
    )
    env["wisp.service.usage.period"].create(
        [
            {
                "service_id": s.id,
                "plan_id": s.plan_id.id,
                "date_start": run_date - timedelta(days=31),
                "date_end": run_date - timedelta(days=1),
                "used_mb": USED_MB,
                "allowance_mb": CAP_GB * 1000,
                "is_closed": True,
            }
            for s in chosen
        ]
    )


def populate_oca(env, count, run_date):
    """The same partners and prices: one monthly pre-paid contract each."""
    from odoo import Command

    products = env["product.product"].create(plan_products(lambda service_type, kbps: {}))
    layout = subscriber_plans(count)
    for start in range(0, count, BATCH):
        partners = create_partners(env, count, start, {})
        env["contract.contract"].create(
            [
                {
                    "name": f"Bench contract {partner.ref}",
                    "partner_id": partner.id,
                    "date_start": run_date,
                    "recurring_rule_type": "monthly",
                    "recurring_interval": 1,
                    "recurring_invoicing_type": "pre-paid",
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": products[index].id,
                                "name": products[index].name,
                                "quantity": 1,
                                "automatic_price": False,
                                "price_unit": products[index].list_price,
                                "date_start": run_date,
                                "recurring_next_date": run_date,
                            }
                        )
                        for index in indexes
                    ],
                }
                for partner, indexes in zip(partners, layout[start:], strict=False)
            ]
        )
        env.flush_all()
        env.invalidate_all()


def work_chunks(env):
    """A billing worker: take chunks until none is left for it (real commits).

    A chunk whose commit hits a serialization failure is rolled back and stays
    pending; Odoo's cron runner would log the failure and end that worker run,
    this worker counts it and goes on, as a re-triggered cron would.
    """
    from psycopg2.errors import SerializationFailure

    started, conflicts = time.perf_counter(), 0
    while True:
        try:
            env["wisp.billing.run"]._cron_process_chunks()
        except SerializationFailure:
            env.cr.rollback()
            conflicts += 1
            continue
        env.cr.execute(
            "SELECT id FROM wisp_billing_run_chunk WHERE state = 'pending' "
            "LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        left = env.cr.fetchone()
        env.cr.rollback()
        if not left:  # the chunks still pending are being billed by other workers
            return {"seconds": time.perf_counter() - started, "conflicts": conflicts}


def oca_run(env, run_date):
    """OCA's recurring invoice cron for ``run_date``, then posting its drafts."""
    started = time.perf_counter()
    env["contract.contract"].cron_recurring_create_invoice(date_ref=run_date)
    env.cr.commit()
    created = time.perf_counter()
    drafts = env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("state", "=", "draft")]
    )
    drafts.action_post()
    env.cr.commit()
    posted = time.perf_counter()
    return {
        "load": os.getloadavg()[0],
        "create_seconds": created - started,
        "post_seconds": posted - created,
        "check": check_invoices(env.cr, OCA_EXPECTED),
    }


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
# What each side should bill: its bench subscribers, their services (contract
# lines) and the sum of their plans' monthly prices (untaxed, whole cycles).
WISP_EXPECTED = """
    SELECT count(DISTINCT p.id), count(*), sum(t.list_price)
      FROM wisp_service s
      JOIN res_partner p ON p.id = s.commercial_partner_id
      JOIN product_product pp ON pp.id = s.plan_id
      JOIN product_template t ON t.id = pp.product_tmpl_id
     WHERE p.ref LIKE %s AND s.state = 'active'"""
# --offers: what the promotions take off and the usage periods add (started GB)
OFFERS_DELTA = """
    SELECT (SELECT coalesce(sum(round(t.list_price * %s / 100.0, 2)), 0)
              FROM wisp_service_promotion sp
              JOIN wisp_service s ON s.id = sp.service_id
              JOIN product_product pp ON pp.id = s.plan_id
              JOIN product_template t ON t.id = pp.product_tmpl_id),
           (SELECT coalesce(sum(ceil(over_mb / 1000.0) * %s), 0)
              FROM wisp_service_usage_period)"""
OCA_EXPECTED = """
    SELECT count(DISTINCT p.id), count(*), sum(t.list_price)
      FROM contract_line l
      JOIN contract_contract c ON c.id = l.contract_id
      JOIN res_partner p ON p.id = c.partner_id
      JOIN product_product pp ON pp.id = l.product_id
      JOIN product_template t ON t.id = pp.product_tmpl_id
     WHERE p.ref LIKE %s"""


def check_invoices(cr, expected_sql, offers=False):
    """The bench subscribers' customer invoices against what they should be."""
    cr.execute(expected_sql, [f"{REF_PREFIX}%"])
    subscribers, services, expected = cr.fetchone()
    if offers:
        cr.execute(OFFERS_DELTA, [PROMO_PERCENT, GB_PRICE])
        discounts, usage = cr.fetchone()
        expected = expected - discounts + usage
    cr.execute(
        """SELECT count(m.id), count(DISTINCT m.partner_id),
                  count(m.id) FILTER (WHERE m.state = 'posted'),
                  coalesce(sum(m.amount_untaxed), 0), coalesce(sum(m.amount_total), 0)
             FROM account_move m JOIN res_partner p ON p.id = m.partner_id
            WHERE p.ref LIKE %s AND m.move_type = 'out_invoice'""",
        [f"{REF_PREFIX}%"],
    )
    invoices, invoiced, posted, untaxed, total = cr.fetchone()
    return {
        "subscribers": subscribers,
        "services": services,
        "expected": round(float(expected), 2),
        "invoices": invoices,
        "invoiced_subscribers": invoiced,
        "posted": posted,
        "untaxed": round(float(untaxed), 2),
        "total": round(float(total), 2),
    }


def check_problems(check):
    """What is wrong with a run, from :func:`check_invoices` (empty: all right)."""
    problems = []
    if not check["invoices"] == check["posted"] == check["invoiced_subscribers"]:
        problems.append(
            f"{check['invoices']} invoices, {check['posted']} posted, for "
            f"{check['invoiced_subscribers']} subscribers: not one posted invoice each"
        )
    if check["invoiced_subscribers"] != check["subscribers"]:
        problems.append(f"{check['invoiced_subscribers']} of {check['subscribers']} invoiced")
    if not check["expected"] == check["untaxed"] == check["total"]:
        problems.append(
            f"invoiced {check['untaxed']} untaxed / {check['total']} total, "
            f"expected {check['expected']}"
        )
    return problems


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------
def measure_wisp(template, args, run_date, messages=None, offers=False):
    """Schedule the run here, bill it with ``args.workers`` worker processes.

    The clock starts once every registry is loaded, as cron workers' are.
    ``messages``: switch the "invoice issued" message off (False) or on (True,
    then drain the queued messages after the run); None leaves the data as it is.
    """
    from odoo import SUPERUSER_ID, api, sql_db
    from odoo.modules.registry import Registry

    database = f"{BASE_DB}_run"
    copy_database(template, database)
    try:
        with Crew("worker", database, args.workers) as workers:
            registry = Registry(database)
            if messages is not None:
                with registry.cursor() as cr:
                    set_invoice_messages(api.Environment(cr, SUPERUSER_ID, {}), messages)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                if args.chunk_size:
                    env.company.wisp_billing_chunk_size = args.chunk_size
                chunk_size = env.company.wisp_billing_chunk_size
                env["wisp.billing.run"]._schedule(run_date)
            results = workers.go()
            wall = time.perf_counter() - started
        with registry.cursor() as cr:
            check = check_invoices(cr, WISP_EXPECTED, offers=offers)
            cr.execute("SELECT state, count(*) FROM wisp_billing_run_chunk GROUP BY state")
            chunks = dict(cr.fetchall())
        drain = measure_drain(registry, database, args) if messages else None
    finally:
        Registry.delete(database)
        sql_db.close_db(database)
        drop_database(database)
    return {
        "wall": wall,
        "chunk_size": chunk_size,
        "peak_rss_mib": max(result["peak_rss_mib"] for result in results),
        "conflicts": sum(result["conflicts"] for result in results),
        "cpu_seconds": sum(result["cpu_seconds"] for result in results),
        "queries": sum(result["queries"] for result in results),
        "load": (load, os.getloadavg()[0]),
        "check": check,
        "chunks": chunks,
        "drain": drain,
    }


def measure_oca(args, run_date):
    """OCA contract's cron on a copy of its data template, or None without OCA 19.0."""
    addons_path = oca_addons_path()
    if addons_path is None:
        print(f"OCA contract: no release matches {OCA_REQUIREMENT} on PyPI; nothing measured")
        return None
    install(OCA_BASE_DB, "contract", addons_path)
    template = f"{OCA_BASE_DB}_tpl_{args.subscribers}"
    if args.rebuild or (database_exists(template) and oca_date(template) != run_date):
        drop_database(template)
    ensure_template(
        OCA_BASE_DB,
        template,
        "populate-oca",
        addons_path,
        subscribers=args.subscribers,
        run_date=run_date,
    )
    print("billing the same data with OCA contract", flush=True)
    database = f"{OCA_BASE_DB}_run"
    copy_database(template, database)
    try:
        return call_role("oca-run", database, addons_path, run_date=run_date)
    finally:
        drop_database(database)


def oca_addons_path():
    """Where OCA contract 19.0 is installed (pip-installing it when missing), or None."""
    try:
        version = metadata.version("odoo-addon-contract")
    except metadata.PackageNotFoundError:
        version = None
    if not (version or "").startswith("19.0."):
        print(f"installing OCA contract for the benchmark: pip install {OCA_REQUIREMENT}")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-deps", OCA_REQUIREMENT], check=False
        )
        if done.returncode:
            return None
        importlib.invalidate_caches()
    return str(metadata.distribution("odoo-addon-contract").locate_file("odoo/addons"))


def wisp_date(template):
    return single_value(
        template,
        "SELECT max(wisp_next_billing_date) FROM res_partner WHERE ref LIKE 'BBENCH-%%'",
    )


def oca_date(template):
    return single_value(template, "SELECT max(recurring_next_date) FROM contract_line")


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def per_invoice(side, invoices):
    """SQL queries and CPU of the billing processes per invoice: steadier than
    the wall clock on a shared machine (the database server's CPU is not in it)."""
    return (
        f"                per invoice: {side['queries'] / invoices:4.1f} SQL queries,"
        f" {1000 * side['cpu_seconds'] / invoices:5.1f} ms CPU"
    )


def report_against(without, ours, what, note, target):
    """The same run ``without`` ``what`` (messages, offers), and the change of invoices/s
    that ``what`` makes in ``ours``."""
    rate_without = without["check"]["invoices"] / without["wall"]
    rate_with = ours["check"]["invoices"] / ours["wall"]
    print(
        f"  {'no ' + what:<14}invoices/s {rate_without:6.1f}   wall {without['wall']:6.1f} s"
        f"   CPU {without['cpu_seconds']:5.0f} s   ({note})"
    )
    print(per_invoice(without, without["check"]["invoices"]))
    print(
        f"  {what + ' on':<14}{100 * (rate_with / rate_without - 1):+.1f}% invoices/s"
        f" against the run without ({target})"
    )


def report_messages(without, ours):
    """The run without and with "invoice issued" messages, and their drain."""
    report_against(without, ours, "messages", "invoice issued switched off", "target: within -10%")
    drain = ours["drain"]
    rate = drain["sample"] / drain["wall"]
    print(
        f"  drain         messages/s {rate:6.2f}   wall {drain['wall']:6.1f} s"
        f"   CPU {drain['cpu_seconds']:5.0f} s   {drain['sample']} of {drain['queued']} queued"
        f" drained by {drain['processes']} processes, by state after: {drain['states']}"
        "   (PDF + e-mail to the mail queue)"
    )
    print(
        f"                all {drain['queued']} queued: {drain['queued'] / rate / 60:.0f} min"
        f" at this rate; wkhtmltopdf {'with' if renders_many() else 'without'} patched Qt"
    )


def renders_many():
    from odoo.addons.wisp_billing.models.wisp_message import wkhtmltopdf_renders_many

    return wkhtmltopdf_renders_many()


def report(args, ours, oca, without=None):
    check = ours["check"]
    ours_rate = check["invoices"] / ours["wall"]
    print()
    print(
        f"billing run: {check['subscribers']} subscribers, {check['services']} services, "
        f"{args.workers} workers, chunks of {ours['chunk_size']}"
    )
    print(
        f"  wisp_billing  invoices/s {ours_rate:6.1f}   wall {ours['wall']:6.1f} s"
        f"   CPU {ours['cpu_seconds']:5.0f} s   peak RSS {ours['peak_rss_mib']:4.0f} MiB/worker"
        "   (created and posted" + (", invoice issued messages on)" if without else ")")
    )
    print(per_invoice(ours, check["invoices"]))
    if without:
        report_messages(without, ours)
    if ours["conflicts"]:
        print(
            f"                {ours['conflicts']} chunk commits lost to serialization "
            "conflicts between workers (rolled back, billed again)"
        )
    loads = list(ours["load"])
    if oca is None:
        print("  OCA contract  not measured")
    else:
        loads.append(oca["load"])
        invoices, create = oca["check"]["invoices"], oca["create_seconds"]
        wall = create + oca["post_seconds"]
        print(
            f"  OCA contract  invoices/s {invoices / create:6.1f}   wall {create:6.1f} s"
            f"               peak RSS {oca['peak_rss_mib']:4.0f} MiB          (its cron: drafts)"
        )
        print(
            f"  OCA contract  invoices/s {invoices / wall:6.1f}   wall {wall:6.1f} s"
            f"   CPU {oca['cpu_seconds']:5.0f} s                          (cron + posting them)"
        )
        print(per_invoice(oca, invoices))
        print(
            f"  ratio         {ours_rate / (invoices / wall):.2f}x against OCA cron + posting"
            f" ({ours_rate / (invoices / create):.2f}x against its cron alone)"
        )
    cores = os.cpu_count()
    if max(loads) > cores:
        print(
            f"  load average  up to {max(loads):.1f} on {cores} cores: other processes "
            "competed for the CPU, the figures are low"
        )


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, help="default: the company's setting")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data templates")
    parser.add_argument("--no-oca", action="store_true", help="measure wisp_billing only")
    parser.add_argument(
        "--messages",
        action="store_true",
        help='bill without, then with "invoice issued" messages; drain them (messages/s)',
    )
    parser.add_argument(
        "--drain-sample",
        type=int,
        default=400,
        help="messages drained to measure the rate (default 400; the rest is extrapolated)",
    )
    parser.add_argument(
        "--offers",
        action="store_true",
        help="bill as is, then with promotions and usage charges on a quarter (target 15%%)",
    )
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--run-date", help=argparse.SUPPRESS)
    return parser.parse_args()


def side_problems(without, plain, ours, args):
    """What went wrong in the measured runs (empty: all right)."""
    problems = []
    for side in filter(None, (without, plain, ours)):
        problems += check_problems(side["check"])
        if set(side["chunks"]) != {"done"}:
            problems.append(f"chunks by state: {side['chunks']}")
    if args.messages:
        drain = ours["drain"]
        if drain["queued"] != ours["check"]["invoices"]:
            problems.append(f"{drain['queued']} messages queued, not one per invoice")
        if drain["states"] != {"sent": drain["sample"]}:
            problems.append(f"drained messages by state: {drain['states']}, not all sent")
    return problems


def main():
    args = parse_args()
    if args.role:
        return role_main(args)

    from odoo.tools import config

    config.parse_config([f"--addons-path={ADDONS}", "--log-level=warn"])
    template = f"{BASE_DB}_tpl_{args.subscribers}"
    if args.rebuild:
        drop_database(template)

    install(BASE_DB, "wisp_billing", ADDONS)
    ensure_upgraded(BASE_DB)
    ensure_template(
        BASE_DB,
        template,
        "populate-wisp",
        ADDONS,
        subscribers=args.subscribers,
        run_date=date.today().replace(day=1),
    )
    ensure_upgraded(template)
    run_date = wisp_date(template)
    print(f"billing {args.subscribers} subscribers on {run_date}", flush=True)
    without = plain = None
    if args.messages:
        without = measure_wisp(template, args, run_date, messages=False)
        print("billing again with invoice issued messages on", flush=True)
    if args.offers:
        plain = measure_wisp(template, args, run_date)
        template = f"{template}_offers"
        ensure_template(
            BASE_DB,
            template,
            "populate-wisp-offers",
            ADDONS,
            subscribers=args.subscribers,
            run_date=run_date,
        )
        ensure_upgraded(template)
        print("billing again with offers on a quarter of the subscribers", flush=True)
    ours = measure_wisp(
        template,
        args,
        run_date,
        messages=True if args.messages else None,
        offers=args.offers,
    )
    problems = side_problems(without, plain, ours, args)

    oca = None if args.no_oca else measure_oca(args, run_date)
    if oca:
        problems += [f"OCA: {problem}" for problem in check_problems(oca["check"])]

    report(args, ours, oca, without)
    if plain:
        report_against(
            plain,
            ours,
            "offers",
            "the same subscribers without offers",
            "a quarter with a promotion and a usage charge; target: within -15%",
        )
    for problem in problems:
        print(f"  CHECK FAILED  {problem}")
    if not problems:
        print("  checks        one posted invoice each, totals as expected, no failed chunk")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
