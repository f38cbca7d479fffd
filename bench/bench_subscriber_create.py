"""Create 10,000 subscribers with 1-3 services each through the ORM, in batches.

Prints records/second and SQL queries per service. Everything is rolled back.

    bin/wisp bench --only subscriber -- --subscribers 10000 --batch 500
"""

import argparse
import random

from common import make_plans, measure, odoo_env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", default="wisp_bench")
    args = parser.parse_args()

    registry = odoo_env(args.database, "wisp_subscriber")
    from odoo import SUPERUSER_ID, api

    rng = random.Random(42)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        plans = make_plans(
            env,
            *(
                {
                    "name": f"Bench {n}M",
                    "list_price": n,
                    "download_kbps": n * 1000,
                    "upload_kbps": n * 200,
                }
                for n in (10, 25, 50)
            ),
        )
        iptv = make_plans(env, {"name": "Bench TV", "service_type": "iptv"})
        site = env["wisp.site"].create({"name": "Bench tower", "code": "BENCH"})
        env.flush_all()
        partners = services = 0
        with measure() as figures:
            for start in range(0, args.subscribers, args.batch):
                size = min(args.batch, args.subscribers - start)
                batch = env["res.partner"].create(
                    [
                        {
                            "name": f"Bench Subscriber {start + i}",
                            "street": f"{start + i} Bench Rd",
                            "city": "Benchville",
                        }
                        for i in range(size)
                    ]
                )
                vals = []
                for partner in batch:
                    vals.append(
                        {
                            "partner_id": partner.id,
                            "plan_id": rng.choice(plans).id,
                            "site_id": site.id,
                        }
                    )
                    for _extra in range(rng.randint(0, 2)):
                        vals.append(
                            {
                                "partner_id": partner.id,
                                "plan_id": iptv.id,
                                "service_type": "iptv",
                                "site_id": site.id,
                            }
                        )
                env["wisp.service"].create(vals)
                env.flush_all()
                env.invalidate_all()
                partners += size
                services += len(vals)
        cr.rollback()

    seconds = figures["seconds"]
    records = partners + services
    print(f"subscribers created      {partners}")
    print(f"services created         {services}")
    print(f"wall time                {seconds:.1f} s")
    print(f"records/second           {records / seconds:.0f}  (subscribers + services)")
    print(f"services/second          {services / seconds:.0f}")
    print(
        f"SQL queries per service  {figures['queries'] / services:.2f}"
        f"  ({figures['queries']} in all, partners included)"
    )
    print(f"peak RSS                 {figures['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
