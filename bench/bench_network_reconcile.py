"""Reconcile 5,000 services on one emulated RouterOS router, then time a reactivation.

Prints, for a full reconcile of a fresh router and for a second reconcile of the
unchanged router: wall time, API round trips (counted by the emulator), writes,
peak RSS. Then the time from a committed ``action_reactivate()`` to the
router's ``wisp-restricted`` address-list entry being gone, with the job cron
run by a worker thread woken the way Odoo's cron workers are (LISTEN on
``cron_trigger``, which ``ir.cron._trigger()`` notifies after the commit).

The router I/O happens in committed transactions (that is the design), so this
benchmark commits its set-up and deletes everything it created at the end.

    bin/wisp bench --only network -- --services 5000
"""

import argparse
import pathlib
import select
import threading
import time

from common import load_module, make_plans, measure, odoo_env

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bench-api-pw"


def load_emulator():
    return load_module(
        "routeros_emulator",
        ROOT / "addons" / "wisp_network" / "tests" / "emulators" / "routeros_emulator.py",
    )


class CronWorker(threading.Thread):
    """Runs the job cron whenever a cron trigger is notified, like Odoo's cron worker."""

    def __init__(self, registry):
        super().__init__(daemon=True)
        self.registry = registry
        self.stop = threading.Event()
        self.ready = threading.Event()

    def run(self):
        import psycopg2

        from odoo import SUPERUSER_ID, api

        listener = psycopg2.connect(dbname="postgres")
        listener.autocommit = True
        listener.cursor().execute("LISTEN cron_trigger")
        self.ready.set()
        while not self.stop.is_set():
            if select.select([listener], [], [], 0.2) == ([], [], []):
                continue
            listener.poll()
            listener.notifies.clear()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["wisp.network.job"]._cron_process_jobs()
        listener.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--database", default="wisp_bench")
    args = parser.parse_args()

    registry = odoo_env(args.database, "wisp_network")
    from odoo import SUPERUSER_ID, api

    emulator = load_emulator().RouterOSEmulator(username="bench", password=BENCH_PASSWORD)
    emulator.start()
    created = {}
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            created = setup(env, emulator, args.services)
            cr.commit()

            router = created["router"]
            first = reconcile(env, router, emulator)
            second = reconcile(env, router, emulator)
            latency = reactivation_latency(registry, env, created["suspended"], emulator)
    finally:
        emulator.stop()
        if created:
            with registry.cursor() as cr:
                cleanup(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}), created)

    for label, figures in (("first reconcile ", first), ("second reconcile", second)):
        print(
            f"{label}  {figures['seconds']:6.1f} s  {figures['round_trips']:6d} API round trips"
            f"  {figures['writes']:6d} writes  report {figures['report']}"
        )
    print(f"services on the router    {args.services}")
    print(f"peak RSS                  {first['peak_rss_mib']:.0f} MiB (emulator in-process)")
    print(f"reactivate -> address-list entry removed  {latency:.2f} s")


def remove_leftovers(env):
    """An interrupted run may have left its committed set-up behind."""
    site = env["wisp.site"].search([("code", "=", "BNET")])
    if site:
        cleanup(
            env,
            {
                "router": site.router_ids,
                "services": env["wisp.service"].search([("site_id", "=", site.id)]),
                "partners": env["res.partner"].search(
                    [("name", "=like", "Bench net subscriber %")]
                ),
                "plans": env["product.product"].search([("name", "=like", "Bench net %M")]),
                "site": site,
            },
        )


def setup(env, emulator, count):
    remove_leftovers(env)
    site = env["wisp.site"].create({"name": "Bench network tower", "code": "BNET"})
    router = env["wisp.router"].create(
        {
            "name": "Bench NAS",
            "site_id": site.id,
            "host": "127.0.0.1",
            "api_port": emulator.port,
            "use_tls": False,
            "username": "bench",
            "password": BENCH_PASSWORD,
            "timeout": 30,
        }
    )
    env["wisp.network.job"].search([("router_id", "=", router.id)]).unlink()
    plans = make_plans(
        env,
        *(
            {"name": f"Bench net {n}M", "download_kbps": n * 1000, "upload_kbps": n * 200}
            for n in (10, 25, 50)
        ),
    )
    partners = env["res.partner"].create(
        [{"name": f"Bench net subscriber {i}"} for i in range(count)]
    )
    Service = env["wisp.service"].with_context(wisp_transition="bench")
    services = env["wisp.service"]
    for start in range(0, count, 500):
        services |= Service.create(
            [
                {
                    "partner_id": partner.id,
                    "plan_id": plans[i % 3].id,
                    "site_id": site.id,
                    "login": f"bnet{start + i:05d}",
                    "state": "suspended" if (start + i) % 10 == 0 else "active",
                    "ip_address": f"10.{100 + (start + i) // 250}.{(start + i) % 250}.2"
                    if (start + i) % 10 == 0
                    else False,
                }
                for i, partner in enumerate(partners[start : start + 500])
            ]
        )
    assert set(services.mapped("router_id")) == {router}
    return {
        "site": site,
        "router": router,
        "plans": plans,
        "partners": partners,
        "services": services,
        "suspended": services[0],
    }


def reconcile(env, router, emulator):
    emulator.reset_stats()
    router._enqueue_reconcile()
    env.cr.commit()
    with measure() as figures:
        env["wisp.network.job"]._cron_process_jobs()
    router.invalidate_recordset()
    figures["round_trips"] = emulator.round_trips
    figures["writes"] = len(emulator.writes())
    figures["report"] = (
        f"{router.last_reconcile_created} created, "
        f"{router.last_reconcile_updated} updated, "
        f"{router.last_reconcile_removed} removed"
    )
    return figures


def reactivation_latency(registry, env, service, emulator):
    entry = {"list": "wisp-restricted", "comment": f"wisp:{service.login}"}
    assert emulator.row("/ip/firewall/address-list", **entry), "the suspended service is blocked"
    worker = CronWorker(registry)
    worker.start()
    worker.ready.wait()
    try:
        started = time.perf_counter()
        service.action_reactivate()
        env.cr.commit()  # the trigger's NOTIFY goes out after this commit
        while emulator.row("/ip/firewall/address-list", **entry):
            if time.perf_counter() - started > 30:
                raise RuntimeError("the address-list entry was not removed within 30 s")
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        worker.stop.set()
        worker.join()


def cleanup(env, created):
    """Delete what :func:`setup` committed (records rebound to this cursor)."""

    def rebind(key):
        return env[created[key]._name].browse(created[key].ids)

    env["wisp.network.job"].search([("router_id", "in", created["router"].ids)]).unlink()
    rebind("services").unlink()
    rebind("router").unlink()
    rebind("partners").unlink()
    rebind("plans").product_tmpl_id.unlink()
    rebind("site").unlink()
    env.cr.commit()


if __name__ == "__main__":
    main()
