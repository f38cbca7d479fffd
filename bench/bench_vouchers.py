"""Generate 100,000 voucher codes and render a sheet of 1,000 cards.

Prints the time of each step; for comparison, the same number of vouchers
created through the ORM in batches (``--orm``, slower: kept off by default).
Everything is rolled back.

    bin/wisp bench --only vouchers -- --codes 100000 --cards 1000 --orm 20000
"""

import argparse

from common import make_plans, measure, odoo_env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=100000)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--orm", type=int, default=0, help="also ORM-create this many")
    parser.add_argument("--database", default="wisp_bench_vouchers")
    args = parser.parse_args()

    registry = odoo_env(args.database, "wisp_billing")
    from odoo import SUPERUSER_ID, api
    from odoo.addons.wisp_billing.tools.codes import generate_codes

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        plan = make_plans(
            env,
            {
                "name": "Bench hotspot 1 day",
                "is_prepaid": True,
                "prepaid_duration": 1,
                "list_price": 5.0,
                "download_kbps": 5000,
                "upload_kbps": 1000,
            },
        )
        batch = env["wisp.voucher.batch"].create(
            {"name": "Bench", "plan_id": plan.id, "quantity": args.codes}
        )
        env.flush_all()
        with measure() as gen:
            batch.action_generate()
            env.flush_all()
        cr.execute("SELECT count(*) FROM wisp_voucher WHERE batch_id = %s", [batch.id])
        generated = cr.fetchone()[0]

        cards = env["wisp.voucher"].search([("batch_id", "=", batch.id)], limit=args.cards)
        with measure() as pdf_figures:
            pdf = batch._render_cards_pdf(cards)

        orm = None
        if args.orm:
            orm_batch = env["wisp.voucher.batch"].create(
                {"name": "Bench ORM", "plan_id": plan.id, "quantity": args.orm}
            )
            with measure() as orm:
                codes = list(generate_codes(args.orm))
                for start in range(0, len(codes), 5000):
                    env["wisp.voucher"].create(
                        [
                            {"code": code, "batch_id": orm_batch.id}
                            for code in codes[start : start + 5000]
                        ]
                    )
                    env.flush_all()
                    env.invalidate_all()
        cr.rollback()

    print(f"codes generated          {generated}")
    print(
        f"generation (COPY)        {gen['seconds']:.2f} s"
        f"  ({generated / gen['seconds']:.0f} codes/s, {gen['queries']} queries)"
    )
    print(f"card sheet               {len(cards)} cards, {len(pdf) / 1024:.0f} KiB")
    print(
        f"card sheet render        {pdf_figures['seconds']:.2f} s"
        f"  ({len(cards) / pdf_figures['seconds']:.0f} cards/s)"
    )
    if orm:
        print(
            f"ORM create (comparison)  {args.orm} in {orm['seconds']:.2f} s"
            f"  ({args.orm / orm['seconds']:.0f} codes/s)"
        )
    print(f"peak RSS                 {pdf_figures['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
