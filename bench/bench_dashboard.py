"""The WISP home dashboard and the dunning work list at 100,000 subscribers.

Prints the wall time and SQL queries of ``wisp.dashboard.get_dashboard()`` and of
the dunning list's first page (the ``web_search_read`` the list view makes, with
its default filter and count), as the admin user (a manager: record rules apply),
each the median of ``--repeat`` runs after one warm-up, caches cleared in between.

The data is built once into ``wisp_bench_dashboard`` (wisp_billing and wisp_network,
no demo data) and kept for later runs. A subscriber, a service, a posted invoice
and a provisioning job are made through the ORM, then copied row by row in SQL
(``INSERT ... SELECT`` over ``generate_series``) with the values varied per copy:

- subscribers, each with an internet service (three plans, 20 sites), every third
  with a TV service and every fifth with a static IP add-on; statuses spread as a
  WISP has them (mostly active; suspended, restricted, paused, ordered, terminated);
- one invoice of the current cycle per billed subscriber: four in five paid, the
  others due over the last 120 days (some reminded, the oldest held by dunning).
  The copies are invoice headers without journal items: the dashboard and the list
  read headers only (amounts, due dates, states), the same columns the ORM keeps;
- a provisioning job per service (done), some failed and pending; 40 routers, some
  unreachable or refusing.

    bin/wisp bench --only dashboard -- --subscribers 100000 --repeat 5
"""

import argparse
import statistics
from contextlib import contextmanager

from common import (
    ADDONS,
    ensure_chart,
    ensure_upgraded,
    install,
    make_plans,
    measure,
    odoo_env,
)

DATABASE = "wisp_bench_dashboard"
MODULES = "wisp_billing,wisp_network"
MARKER = "wisp_bench_dashboard.subscribers"
PREFIX = "BDASH-"
SITES = 20
ROUTERS = 40
# service status by the copy's number modulo 100: (first, last, state)
STATES = [
    (0, 84, "active"),
    (85, 89, "suspended"),
    (90, 91, "restricted"),
    (92, 93, "paused"),
    (94, 95, "terminated"),
    (96, 97, "confirmed"),
    (98, 99, "installation"),
]


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    return [name for (name,) in cr.fetchall()]


def clone(cr, table, template_id, source, overrides):
    """Copy row ``template_id`` of ``table`` once per row of the SQL ``source``
    (aliased ``src``), each column taken from the template unless ``overrides``
    gives an SQL expression for it."""
    names = columns(cr, table)
    targets = ", ".join(f'"{name}"' for name in names)
    values = ", ".join(overrides.get(name, f't."{name}"') for name in names)
    # no parameters: the expressions' % are SQL's modulo, not placeholders
    cr.execute(
        f"INSERT INTO {table} ({targets}) SELECT {values} "
        f"FROM {table} t, ({source}) src WHERE t.id = {int(template_id)}"
    )
    return cr.rowcount


def state_case(column):
    whens = " ".join(f"WHEN {column} % 100 <= {last} THEN '{state}'" for _f, last, state in STATES)
    return f"(CASE {whens} END)"


def populate(env, count):
    """The benchmark data (see the module docstring), committed by the caller."""
    from odoo import Command, fields

    cr = env.cr
    today = fields.Date.context_today(env["res.users"])
    print(f"chart of accounts: {ensure_chart(env)}", flush=True)
    Product = env["product.product"]
    plans = make_plans(
        env,
        *(
            {
                "name": f"Bench dash {mbit}M",
                "list_price": price,
                "taxes_id": [Command.clear()],
                "download_kbps": mbit * 1000,
                "upload_kbps": mbit * 200,
            }
            for mbit, price in ((10, 19.0), (25, 29.0), (50, 45.0))
        ),
    )
    tv = make_plans(
        env,
        {
            "name": "Bench dash TV",
            "service_type": "iptv",
            "list_price": 9.5,
            "taxes_id": [Command.clear()],
        },
    )
    static_ip = Product.create(
        {
            "name": "Bench dash static IP",
            "type": "service",
            "is_wisp_addon": True,
            "list_price": 5.0,
            "taxes_id": [Command.clear()],
        }
    )
    sites = env["wisp.site"].create(
        [{"name": f"Bench tower {n}", "code": f"BT{n}"} for n in range(SITES)]
    )
    routers = env["wisp.router"].create(
        [
            {"name": f"Bench NAS {n}", "site_id": sites[n % SITES].id, "host": f"198.51.100.{n}"}
            for n in range(ROUTERS)
        ]
    )
    routers[:3].write({"reachability": "unreachable"})
    routers[3:4].write({"reachability": "error"})
    routers[4:].write({"reachability": "reachable"})
    partner = env["res.partner"].create({"name": "Bench dash template", "ref": f"{PREFIX}0"})
    service = env["wisp.service"].create(
        {"partner_id": partner.id, "plan_id": plans[0].id, "site_id": sites[0].id}
    )
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": today,
            "invoice_line_ids": [
                Command.create({"product_id": plans[0].id, "quantity": 1, "price_unit": 19.0})
            ],
        }
    )
    invoice.action_post()
    env["wisp.network.job"].search([]).unlink()
    job = env["wisp.network.job"].create({"router_id": routers[0].id, "service_id": service.id})
    env.flush_all()

    print(f"copying {count} subscribers", flush=True)
    clone(
        cr,
        "res_partner",
        partner.id,
        f"SELECT g FROM generate_series(1, {count}) g",
        {
            "name": "'Bench dash subscriber ' || src.g",
            "complete_name": "'Bench dash subscriber ' || src.g",
            "ref": f"'{PREFIX}' || src.g",
            "subscriber_code": "'BD' || lpad(src.g::text, 7, '0')",
            "wisp_referral_code": "NULL",
        },
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE ref LIKE %s", [f"{PREFIX}%"]
    )
    accounts = (
        f"SELECT id AS pid, substr(ref, {len(PREFIX) + 1})::int AS g FROM res_partner "
        f"WHERE ref LIKE '{PREFIX}%' AND ref <> '{PREFIX}0'"
    )
    plan_ids = ",".join(str(p) for p in plans.ids)
    site_ids = ",".join(str(s) for s in sites.ids)
    service_values = {
        "name": "'BDS' || src.g || '-' || src.kind",
        "partner_id": "src.pid",
        "commercial_partner_id": "src.pid",
        "address_id": "src.pid",
        "site_id": f"(ARRAY[{site_ids}])[src.g % {SITES} + 1]",
        "state": state_case("src.g"),
        "login": "NULL",
        # activations spread over two years: a few each month are new
        "activation_date": f"DATE '{today}' - (src.g % 730)",
        "termination_date": (
            f"CASE WHEN src.g % 100 BETWEEN 94 AND 95 THEN DATE '{today}' - (src.g % 60) END"
        ),
    }
    services = clone(
        cr,
        "wisp_service",
        service.id,
        f"SELECT pid, g, 'net' AS kind FROM ({accounts}) a",
        {**service_values, "plan_id": f"(ARRAY[{plan_ids}])[src.g % 3 + 1]"},
    )
    services += clone(
        cr,
        "wisp_service",
        service.id,
        f"SELECT pid, g, 'tv' AS kind FROM ({accounts}) a WHERE g % 3 = 0",
        {**service_values, "plan_id": str(tv.id), "service_type": "'iptv'"},
    )
    cr.execute(
        "INSERT INTO product_product_wisp_service_rel (wisp_service_id, product_product_id) "
        "SELECT id, %s FROM wisp_service WHERE name LIKE 'BDS%%-net' "
        "AND substr(name, 4, length(name) - 7)::int %% 5 = 0",
        [static_ip.id],
    )
    cr.execute(
        """
        UPDATE res_partner p SET subscriber_state = s.state
          FROM (SELECT DISTINCT ON (commercial_partner_id) commercial_partner_id, state
                  FROM wisp_service WHERE name LIKE 'BDS%%'
                 ORDER BY commercial_partner_id,
                          array_position(%s, state::text)) s
         WHERE p.id = s.commercial_partner_id
        """,
        [["suspended", "restricted", "active", "paused", "installation", "confirmed", "draft"]],
    )

    print(f"copying {services} services' invoices and jobs", flush=True)
    unpaid = "src.g % 5 = 0"
    due = f"(DATE '{today}' + 10 - (src.g % 130))"
    invoices = clone(
        cr,
        "account_move",
        invoice.id,
        f"SELECT pid, g FROM ({accounts}) a WHERE g % 100 <= 93",
        {
            "name": "'BDINV/' || src.g",
            "partner_id": "src.pid",
            "commercial_partner_id": "src.pid",
            "access_token": "NULL",
            "invoice_date": f"DATE '{today}' - (src.g % 130)",
            "date": f"DATE '{today}' - (src.g % 130)",
            "invoice_date_due": due,
            "wisp_cycle_start": f"DATE '{today}' - (src.g % 130)",
            "wisp_cycle_end": f"DATE '{today}' - (src.g % 130) + 29",
            "payment_state": f"CASE WHEN {unpaid} THEN 'not_paid' ELSE 'paid' END",
            "amount_residual": f"CASE WHEN {unpaid} THEN t.amount_total ELSE 0 END",
            "amount_residual_signed": f"CASE WHEN {unpaid} THEN t.amount_total_signed ELSE 0 END",
            "wisp_reminder_sent": f"{due} <= DATE '{today}' + 3",
            "wisp_reminder_date": f"CASE WHEN {due} <= DATE '{today}' + 3 THEN {due} - 3 END",
        },
    )
    # the dunning has held the services of unpaid invoices past their grace period
    grace = env.company.wisp_grace_days
    cr.execute(
        """
        INSERT INTO account_move_wisp_blocked_service_rel (move_id, service_id)
        SELECT m.id, s.id FROM account_move m
          JOIN wisp_service s ON s.commercial_partner_id = m.commercial_partner_id
         WHERE m.name LIKE 'BDINV/%%' AND m.payment_state = 'not_paid'
           AND m.invoice_date_due + %s < %s AND s.state IN ('suspended', 'restricted')
        """,
        [grace, today],
    )
    jobs = clone(
        cr,
        "wisp_network_job",
        job.id,
        "SELECT id AS sid, row_number() OVER (ORDER BY id) AS n FROM wisp_service "
        "WHERE name LIKE 'BDS%'",
        {
            "service_id": "src.sid",
            "router_id": f"(ARRAY[{','.join(str(r) for r in routers.ids)}])[src.n % {ROUTERS} + 1]",
            "state": "CASE WHEN src.n % 2000 = 0 THEN 'failed' "
            "WHEN src.n % 1000 = 0 THEN 'pending' ELSE 'done' END",
        },
    )
    env["ir.config_parameter"].set_param(MARKER, str(count))
    env.flush_all()
    cr.execute("ANALYZE")
    print(f"built: {count} subscribers, {services} services, {invoices} invoices, {jobs} jobs")


def dunning_first_page(env):
    """What the dunning list loads on opening: its first 80 lines and the count,
    with its default filter (Overdue or Reminded) and order."""
    from odoo import fields

    today = fields.Date.context_today(env.user)
    domain = ["|", ("invoice_date_due", "<", fields.Date.to_string(today))]
    domain.append(("reminder_sent", "=", True))
    many2one = {"fields": {"display_name": {}}}
    specification = {
        "partner_id": many2one,
        "move_id": many2one,
        "invoice_date_due": {},
        "days_overdue": {},
        "amount_residual": {},
        "currency_id": many2one,
        "reminder_date": {},
        "stage": {},
        "hold_date": {},
        "held": {},
        "overdue_action": {},
        "company_id": many2one,
    }
    return env["wisp.dunning.line"].web_search_read(
        domain, specification, limit=80, count_limit=10001
    )


def timed(env, call, repeat):
    call(env)  # warm-up: registry and ormcaches, not the record cache
    runs = []
    for _i in range(repeat):
        env.invalidate_all()
        with measure() as figures:
            result = call(env)
        runs.append(figures)
    median = statistics.median(run["seconds"] for run in runs)
    return median, runs[0]["queries"], result


@contextmanager
def populated_env(database, subscribers):
    """A superuser environment on ``database`` (installed, and upgraded to the current
    code) holding ``subscribers`` made by :func:`populate`, built on first use. Yields
    ``(env, fresh)``: ``fresh`` when this call built them (not committed yet)."""
    install(database, MODULES, ADDONS)
    # from the base addon: upgrading it upgrades every WISP addon installed on it
    ensure_upgraded(database)
    registry = odoo_env(database, MODULES)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        built = env["ir.config_parameter"].get_param(MARKER)
        fresh = built != str(subscribers)
        if fresh:
            if built:
                raise SystemExit(
                    f"{database} holds {built} subscribers: drop it to build {subscribers}"
                )
            populate(env, subscribers)
        yield env, fresh


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from odoo import api

    with populated_env(DATABASE, args.subscribers) as (env, _fresh):
        cr = env.cr
        cr.commit()
        admin = env.ref("base.user_admin")
        user_env = api.Environment(cr, admin.id, {"tz": admin.tz or "UTC"})
        cr.execute("SELECT count(*) FROM res_partner WHERE subscriber_state IS NOT NULL")
        print(f"subscribers in {DATABASE}: {cr.fetchone()[0]}")

        seconds, queries, data = timed(
            user_env, lambda e: e["wisp.dashboard"].get_dashboard(), args.repeat
        )
        shown = sum(
            len(s["figures"]) + sum(len(t["rows"]) for t in s["tables"]) for s in data["sections"]
        )
        print(
            f"dashboard                {seconds * 1000:.0f} ms  {queries} SQL queries  "
            f"({shown} figures and rows)"
        )
        for section in data["sections"]:
            values = [f"{f['key']} {f['value']:.0f}" for f in section["figures"]]
            values += [f"{t['key']} {len(t['rows'])} rows" for t in section["tables"]]
            print(f"  {section['key']:<22} {', '.join(values)}")

        seconds, queries, page = timed(user_env, dunning_first_page, args.repeat)
        print(
            f"dunning list first page  {seconds * 1000:.0f} ms  {queries} SQL queries  "
            f"({len(page['records'])} lines of {page['length']})"
        )
        print(f"median of {args.repeat} runs after a warm-up; the machine is shared")
        cr.rollback()


if __name__ == "__main__":
    main()
