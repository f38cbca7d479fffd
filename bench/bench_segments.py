"""Campaign segment facts at scale: each ``res.partner`` fact search and a segment
with every condition, as the admin user (a manager: record rules apply).

Prints, per search, the accounts found, the wall time and the SQL queries of a
``search_count`` (median of ``--repeat`` runs after one warm-up, caches cleared in
between). The data is the dashboard benchmark's (``bench_dashboard.populate``:
subscribers with services on three plans and 20 sites, statuses spread, one invoice
of the cycle each, a fifth of them past due), built once into its own database
``wisp_bench_segments`` (wisp_billing and wisp_network, no demo data); every tenth
account is made a referrer of the next one, and the 50 Mbit/s plan's services get a
100 GB cap and a month of daily usage readings.

    bin/wisp bench --only segments -- --subscribers 10000 --repeat 5
"""

import argparse

from bench_dashboard import PREFIX, populated_env, timed

DATABASE = "wisp_bench_segments"


def searches(env):
    plans = env["product.product"].search([("name", "=like", "Bench dash %M")], limit=1)
    sites = env["wisp.site"].search([], limit=2)
    facts = {
        "plan": [("wisp_plan_ids", "in", plans.ids)],
        "site": [("wisp_site_ids", "in", sites.ids)],
        "status suspended": [("subscriber_state", "=", "suspended")],
        "prepaid ending <= 7 days": [("wisp_prepaid_expiry_days", "<=", 7)],
        "cap used >= 80 %": [("wisp_cap_usage_percent", ">=", 80)],
        "overdue": [("wisp_overdue", ">", 0)],
        "no autopay": [("wisp_autopay", "=", False), ("subscriber_state", "!=", False)],
        "referrals >= 1": [("wisp_referral_count", ">=", 1)],
    }
    every = [condition for domain in facts.values() for condition in domain]
    every.remove(("wisp_prepaid_expiry_days", "<=", 7))  # the data has no prepaid plans
    facts["plan, site, overdue, no autopay, referrals"] = every
    return facts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from odoo import api

    with populated_env(DATABASE, args.subscribers) as (env, fresh):
        cr = env.cr
        if fresh:
            # every tenth account referred the next one
            cr.execute(
                """UPDATE res_partner p SET wisp_referred_by_id = r.referrer
                     FROM (SELECT id, LAG(id) OVER (ORDER BY id) AS referrer,
                                  row_number() OVER (ORDER BY id) AS n
                             FROM res_partner WHERE ref LIKE %s) r
                    WHERE p.id = r.id AND r.n %% 10 = 1 AND r.referrer IS NOT NULL""",
                [f"{PREFIX}%"],
            )
            # the 50 Mbit/s plan gets a 100 GB cap and its services a month of daily
            # readings (0.5 to 4.5 GB a day, by service)
            cr.execute(
                """UPDATE product_template SET data_cap_gb = 100
                    WHERE id IN (SELECT product_tmpl_id FROM product_product pp
                                   JOIN product_template t ON t.id = pp.product_tmpl_id
                                  WHERE t.name->>'en_US' = 'Bench dash 50M')"""
            )
            cr.execute(
                """INSERT INTO wisp_service_usage
                          (service_id, partner_id, company_id, date, download_mb, upload_mb,
                           total_mb)
                   SELECT s.id, s.commercial_partner_id, s.company_id, CURRENT_DATE - d,
                          500 + (s.id % 9) * 500, 0, 500 + (s.id % 9) * 500
                     FROM wisp_service s
                     JOIN product_product pp ON pp.id = s.plan_id
                     JOIN product_template t ON t.id = pp.product_tmpl_id
                    CROSS JOIN generate_series(0, 29) d
                    WHERE t.data_cap_gb > 0"""
            )
            print(f"usage readings: {cr.rowcount}")
            cr.execute("ANALYZE")
            cr.commit()
        admin = env.ref("base.user_admin")
        user_env = api.Environment(cr, admin.id, {"tz": admin.tz or "UTC"})
        cr.execute("SELECT count(*) FROM res_partner WHERE subscriber_state IS NOT NULL")
        print(f"subscribers in {DATABASE}: {cr.fetchone()[0]}")
        for label, domain in searches(user_env).items():
            seconds, queries, found = timed(
                user_env, lambda e, d=domain: e["res.partner"].search_count(d), args.repeat
            )
            print(f"{label:<45} {found:>7} found  {seconds * 1000:7.1f} ms  {queries} SQL")
        print(f"median of {args.repeat} runs after a warm-up; the machine is shared")
        cr.rollback()


if __name__ == "__main__":
    main()
