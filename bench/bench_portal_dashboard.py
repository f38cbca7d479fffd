"""The portal dashboard (/my/services) of a subscriber with 20 services, served by a
real Odoo HTTP server: SQL queries per page, median and p95 latency over 200
requests. The same page for a subscriber with 1 service shows that the number of
queries does not grow with the number of services.

The subscribers (portal logins ``bench-portal-1`` and ``bench-portal-N``, password =
login) are created once in database ``wisp_bench_portal`` with 30 days of usage
per service and their first invoices, and kept for later runs.

    bin/wisp bench --only portal -- --services 20 --requests 200

Queries per request are read from Odoo's own access log: each werkzeug line ends
with ``<queries> <SQL seconds> <Python seconds>``.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

from common import ensure_chart, make_plans, odoo_cli, odoo_env

DATABASE = "wisp_bench_portal"
PAGE = "/my/services"
ACCESS_LINE = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)')


def ensure_subscriber(registry, services):
    """The portal user ``bench-portal-<services>`` with that many active services."""
    from odoo import SUPERUSER_ID, Command, api

    login = f"bench-portal-{services}"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        if env["res.users"].search_count([("login", "=", login)]):
            return login
        ensure_chart(env)  # first invoices need a chart of accounts
        plans = env["product.product"].search(
            [("default_code", "=like", "BENCH-PORTAL-%")], order="default_code"
        )
        if not plans:
            plans = make_plans(
                env,
                *(
                    {
                        "name": f"Bench portal {speed}M",
                        "default_code": f"BENCH-PORTAL-{index}",
                        "service_type": "internet",
                        "list_price": 10.0 + speed,
                        "download_kbps": speed * 1000,
                        "upload_kbps": speed * 200,
                        "data_cap_gb": 200,
                        "fup_download_kbps": 2000,
                        "fup_upload_kbps": 500,
                        "taxes_id": [],
                    }
                    for index, speed in enumerate((10, 25, 50, 100))
                ),
            )
        user = env["res.users"].create(
            {
                "name": f"Bench Portal {services}",
                "login": login,
                "password": login,
                "email": f"{login}@example.com",
                "group_ids": [Command.set([env.ref("base.group_portal").id])],
            }
        )
        account = user.partner_id
        account.write({"street": "1 Bench Road", "city": "Benchville", "is_company": True})
        # Services spread over four addresses (an enterprise with branches).
        branches = env["res.partner"].create(
            [
                {
                    "name": f"Branch {index}",
                    "type": "delivery",
                    "parent_id": account.id,
                    "street": f"{index} Branch Street",
                    "city": "Benchville",
                }
                for index in range(1, 4)
            ]
        )
        addresses = [account, *branches]
        records = env["wisp.service"].create(
            [
                {
                    "partner_id": account.id,
                    "address_id": addresses[index % len(addresses)].id,
                    "plan_id": plans[index % len(plans)].id,
                    "service_type": "internet",
                }
                for index in range(services)
            ]
        )
        records.action_confirm()
        records.action_activate()
        today = date.today()
        env["wisp.service.usage"].create(
            [
                {
                    "service_id": service.id,
                    "date": today - timedelta(days=day),
                    "download_mb": 900.0 + 10 * day,
                    "upload_mb": 90.0 + day,
                }
                for service in records
                for day in range(30)
            ]
        )
        cr.commit()
    return login


def start_server(port, logfile):
    server = subprocess.Popen(
        odoo_cli(
            DATABASE,
            f"--db-filter=^{DATABASE}$",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--workers=0",
            "--max-cron-threads=0",
            "--log-level=warn",
            "--log-handler=werkzeug:INFO",
            f"--logfile={logfile}",
        )
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    for _attempt in range(120):
        try:
            if requests.get(f"{base}/web/login", timeout=5).status_code == 200:
                return server, base
        except (requests.ConnectionError, requests.Timeout):
            pass  # not up yet, or its first page (assets built on a busy machine) is slow
        time.sleep(0.5)
    server.terminate()
    sys.exit("the Odoo server did not answer on /web/login")


def login_session(base, login):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/web/login",
        data={"login": login, "password": login, "csrf_token": token, "redirect": PAGE},
        timeout=30,
    )
    if response.status_code != 200 or "o_wisp" not in response.text:
        sys.exit(f"login of {login} or its dashboard failed ({response.status_code})")
    return session


def timed_requests(session, base, count):
    durations = []
    for _i in range(count):
        started = time.perf_counter()
        response = session.get(f"{base}{PAGE}", timeout=30)
        durations.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{PAGE} answered {response.status_code}")
    return durations


def page_queries(logfile, skip_lines):
    """Queries of each successful dashboard request logged after ``skip_lines``."""
    with open(logfile, encoding="utf-8") as handle:
        lines = handle.readlines()[skip_lines:]
    counts = []
    for line in lines:
        match = ACCESS_LINE.search(line)
        if match and match.group(1) == PAGE and match.group(2) == "200":
            counts.append(int(match.group(3)))
    return counts, len(lines) + skip_lines


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8075)
    args = parser.parse_args()

    registry = odoo_env(DATABASE, "wisp_portal")
    small = ensure_subscriber(registry, 1)
    large = ensure_subscriber(registry, args.services)
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as handle:
        logfile = handle.name
    server, base = start_server(args.port, logfile)
    try:
        figures = {}
        seen = 0
        for login in (small, large):
            session = login_session(base, login)
            timed_requests(session, base, 10)  # warm-up: caches, asset bundles
            _counts, seen = page_queries(logfile, seen)
            durations = timed_requests(session, base, args.requests)
            counts, seen = page_queries(logfile, seen)
            figures[login] = (durations, counts)
    finally:
        server.terminate()
        server.wait(30)

    print(f"portal dashboard {PAGE}, {args.requests} requests each, one server thread")
    for login, (durations, counts) in figures.items():
        print(
            f"  {login:>18}: median {statistics.median(durations):6.1f} ms, "
            f"p95 {percentile(durations, 0.95):6.1f} ms, "
            f"SQL queries per page {min(counts)}-{max(counts)} "
            f"(median {statistics.median(counts):.0f})"
        )
    small_q = statistics.median(figures[small][1])
    large_q = statistics.median(figures[large][1])
    p95 = percentile(figures[large][0], 0.95)
    print(
        f"  queries with {args.services} services vs 1: {large_q:.0f} vs {small_q:.0f} "
        f"({'constant' if large_q == small_q else 'NOT constant'}); "
        f"p95 {p95:.1f} ms ({'meets' if p95 < 250 else 'misses'} the 250 ms aim)"
    )


if __name__ == "__main__":
    main()
