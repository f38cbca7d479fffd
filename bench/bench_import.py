"""Import 10,000 CSV rows (subscribers + services, CPE, opening balances) with the
migration wizard: dry run, real run, and the same file again (idempotent).

Prints rows/second, wall time and Odoo's own CPU time of each pass, the records made, and the
provisioning jobs queued (one reconcile per router, no per-service job).
Everything is rolled back.

    bin/wisp bench --only import -- --rows 10000
"""

import argparse
import base64
import csv
import io
import time

from common import ensure_chart, make_plans, measure, odoo_env

ROUTERS = 4


def build_csv(rows):
    """``rows`` services of ``rows * 2 // 3`` subscribers (one in two has two services)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "subscriber_ref",
            "name",
            "email",
            "street",
            "city",
            "service_ref",
            "plan",
            "status",
            "login",
            "password",
            "site",
            "activation_date",
            "cpe_model",
            "cpe_mac",
            "balance",
        ]
    )
    subscriber = 0
    for n in range(rows):
        if n % 3 != 1:  # rows 3k and 3k+2 start a subscriber, 3k+1 adds a second service
            subscriber += 1
        status = ("active", "active", "active", "suspended", "paused", "terminated")[n % 6]
        writer.writerow(
            [
                f"B{subscriber}",
                f"Bench Import {subscriber}",
                f"bench{subscriber}@example.com",
                f"{subscriber} Import Rd",
                "Benchville",
                f"S{n}",
                "Bench Import 50M",
                status,
                f"bench.import.{n}",
                f"Pw-{n:06d}",
                f"BI{n % ROUTERS}",
                "2024-01-15",
                "LiteBeam 5AC",
                f"02:b1:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}",
                f"{(subscriber % 7) * 10 - 20:.2f}" if n % 3 != 1 else "",
            ]
        )
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--database", default="wisp_bench_import")
    args = parser.parse_args()

    registry = odoo_env(args.database, "wisp_billing,wisp_network")
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        chart = ensure_chart(env)
        make_plans(
            env,
            {
                "name": "Bench Import 50M",
                "list_price": 50,
                "taxes_id": [],
                "download_kbps": 50000,
                "upload_kbps": 10000,
            },
        )
        for n in range(ROUTERS):
            site = env["wisp.site"].create({"name": f"Bench Import {n}", "code": f"BI{n}"})
            # never contacted: the benchmark counts the jobs, it does not run them
            env["wisp.router"].create(
                {
                    "name": f"Bench Import NAS {n}",
                    "site_id": site.id,
                    "backend": "routeros",
                    "host": "127.0.0.1",
                    "api_port": 9,
                }
            )
        Job = env["wisp.network.job"]
        Job.search([]).unlink()
        env.flush_all()
        text = build_csv(args.rows)
        print(f"{args.rows} rows, chart {chart}", flush=True)
        for label, method in (
            ("dry run", "action_check"),
            ("import", "action_import"),
            ("re-import", "action_import"),
        ):
            wizard = env["wisp.import"].create({"file": base64.b64encode(text.encode())})
            cpu = time.process_time()
            with measure() as figures:
                getattr(wizard, method)()
                env.flush_all()
            cpu = time.process_time() - cpu
            if wizard.state not in ("checked", "done"):
                raise SystemExit(f"{label} failed:\n{wizard.report[:2000]}")
            print(
                f"{label:9}: {args.rows / figures['seconds']:8.0f} rows/s, "
                f"wall {figures['seconds']:6.1f} s (Odoo CPU {cpu:6.1f} s, the rest is "
                f"PostgreSQL and waiting), {figures['queries'] / args.rows:5.1f} "
                f"queries/row, peak RSS {figures['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
            if method == "action_import":
                print("           " + wizard.report.replace("\n", "\n           "), flush=True)
                jobs = Job.search([])
                reconciles = len(jobs.filtered(lambda j: j.kind == "reconcile"))
                per_service = len(jobs.filtered("service_id"))
                print(
                    f"           jobs queued so far: {reconciles} reconcile ({ROUTERS} routers), "
                    f"{per_service} per service",
                    flush=True,
                )
        cr.rollback()


if __name__ == "__main__":
    main()
