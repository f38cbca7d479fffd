"""Allocate 10,000 addresses (and IPv6 prefixes) from a site's pools.

Prints:

* the time to create the pools (an IPv4 /18 and an IPv6 /48 cut into /64s: one
  row per entry, 81,918 rows);
* one allocation after the other, as activations come (``_ipam_assign``: an IPv4
  address and an IPv6 prefix per service, flushed each time): wall time, per
  allocation, SQL queries per allocation;
* the same number of allocations by ``--workers`` threads at once, each on its own
  cursor committing every allocation (a serialization failure is retried, as Odoo
  retries a request): time, retries, and whether any address was handed out twice.

The sequential part is rolled back; the concurrent part commits on a site of its own
and deletes what it created at the end.

    bin/wisp bench --only ipam -- --services 10000 --workers 4
"""

import argparse
import threading
import time
import uuid

from common import make_plans, measure, odoo_env


def create_site(env, services, tag):
    """A site with an IPv4 /18 and an IPv6 /48 (/64 each), and ``services`` draft
    internet services on it: ``(site, pools, services)``."""
    site = env["wisp.site"].create({"name": f"Bench IPAM {tag}", "code": tag})
    with measure() as pool_figures:
        pools = env["wisp.ip.pool"].create(
            [
                {
                    "name": "Bench PPPoE",
                    "site_id": site.id,
                    "cidr": "10.128.0.0/18",
                    "gateway": "10.128.0.1",
                    "exclusions": "10.128.0.2-10.128.0.9",
                },
                {
                    "name": "Bench IPv6",
                    "site_id": site.id,
                    "cidr": "2001:db8:4000::/48",
                    "prefix_length": 64,
                },
            ]
        )
        env.flush_all()
    plan = make_plans(
        env,
        {
            "name": f"Bench IPAM plan {tag}",
            "service_type": "internet",
            "list_price": 30.0,
            "download_kbps": 20000,
            "upload_kbps": 4000,
        },
    )
    partner = env["res.partner"].create({"name": f"Bench IPAM subscriber {tag}"})
    records = env["wisp.service"]
    for start in range(0, services, 1000):
        records |= env["wisp.service"].create(
            [
                {"partner_id": partner.id, "plan_id": plan.id, "site_id": site.id}
                for _i in range(start, min(services, start + 1000))
            ]
        )
    env.flush_all()
    return site, pools, records, pool_figures


def duplicates(cr, pool_ids, service_ids):
    """Addresses held by two services, in the pools or on the services themselves."""
    cr.execute(
        "SELECT count(*) FROM (SELECT address FROM wisp_ip_address WHERE pool_id = ANY(%s) "
        "AND state = 'used' GROUP BY address HAVING count(*) > 1) d",
        [pool_ids],
    )
    in_pools = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) - count(DISTINCT ip_address), count(*) - count(DISTINCT ipv6_prefix), "
        "count(ip_address), count(ipv6_prefix) FROM wisp_service WHERE id = ANY(%s)",
        [service_ids],
    )
    twice_v4, twice_v6, with_v4, with_v6 = cr.fetchone()
    return in_pools + twice_v4 + twice_v6, with_v4, with_v6


def sequential(registry, services):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        _site, pools, records, pool_figures = create_site(env, services, "BIS")
        with measure() as figures:
            for service in records:
                service._ipam_assign()
                env.flush_all()
        twice, with_v4, with_v6 = duplicates(cr, pools.ids, records.ids)
        cr.rollback()
    return pool_figures, figures, twice, with_v4, with_v6


def concurrent(registry, services, workers):
    """``workers`` threads allocate for their share of the services at once."""
    import psycopg2.errors

    from odoo import SUPERUSER_ID, api

    tag = f"BIC{uuid.uuid4().hex[:4]}"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        site, pools, records, _pool_figures = create_site(env, services, tag)
        site_id, pool_ids, service_ids = site.id, pools.ids, records.ids
    retries = [0] * workers

    def work(index):
        mine = service_ids[index::workers]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            for service_id in mine:
                while True:
                    try:
                        env["wisp.service"].browse(service_id)._ipam_assign()
                        env.flush_all()
                        cr.commit()
                        break
                    except psycopg2.errors.SerializationFailure:
                        cr.rollback()
                        env.invalidate_all()
                        retries[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    with registry.cursor() as cr:
        twice, with_v4, with_v6 = duplicates(cr, pool_ids, service_ids)
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("UPDATE wisp_ip_address SET state = 'free' WHERE pool_id = ANY(%s)", [pool_ids])
        env["wisp.service"].browse(service_ids).unlink()
        env["wisp.ip.pool"].browse(pool_ids).unlink()
        env["wisp.site"].browse(site_id).unlink()
    return seconds, sum(retries), twice, with_v4, with_v6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", default="wisp_bench_ipam")
    args = parser.parse_args()

    registry = odoo_env(args.database, "wisp_network")
    n = args.services
    pool_figures, seq, twice, with_v4, with_v6 = sequential(registry, n)
    print("pools                    IPv4 /18 (16,382 hosts) + IPv6 /48 as /64 (65,536 prefixes)")
    print(
        f"pool creation            {pool_figures['seconds']:.2f} s"
        f" ({pool_figures['queries']} queries)"
    )
    print(
        f"sequential allocation    {n} services in {seq['seconds']:.2f} s"
        f"  ({1000 * seq['seconds'] / n:.2f} ms and {seq['queries'] / n:.1f} queries per service,"
        f" IPv4 + IPv6 each)"
    )
    print(f"  handed out             {with_v4} addresses, {with_v6} prefixes, {twice} twice")
    seconds, retries, twice, with_v4, with_v6 = concurrent(registry, n, args.workers)
    print(
        f"concurrent allocation    {n} services by {args.workers} workers in {seconds:.2f} s"
        f"  ({n / seconds:.0f} services/s, commit each; {retries} serialization retries)"
    )
    print(f"  handed out             {with_v4} addresses, {with_v6} prefixes, {twice} twice")
    print(f"peak RSS                 {seq['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
