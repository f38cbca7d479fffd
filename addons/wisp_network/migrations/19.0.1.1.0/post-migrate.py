"""Routers with their own RADIUS database become routers of a RADIUS server.

Before 19.0.1.1.0 a FreeRADIUS router held ``radius_dsn``/``radius_schema``
itself (one router per database or schema). Each distinct pair becomes one
``wisp.radius.server`` and its routers point to it; then the old columns,
which hold the database password, are dropped. The next reconcile of each
router scopes its logins to it and writes the ``nas`` table (queued here).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'wisp_router' AND column_name IN ('radius_dsn', 'radius_schema')"
    )
    if len(cr.fetchall()) < 2:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    cr.execute(
        "SELECT r.id, r.radius_dsn, COALESCE(r.radius_schema, ''), s.company_id "
        "FROM wisp_router r JOIN wisp_site s ON s.id = r.site_id "
        "WHERE r.radius_dsn IS NOT NULL AND r.radius_dsn <> '' "
        "AND r.radius_server_id IS NULL ORDER BY r.id"
    )
    routers_of = {}
    for router_id, dsn, schema, company_id in cr.fetchall():
        routers_of.setdefault((dsn, schema), []).append((router_id, company_id))
    for (dsn, schema), routers in routers_of.items():
        companies = {company_id for _router_id, company_id in routers}
        first = env["wisp.router"].browse(routers[0][0])
        server = env["wisp.radius.server"].create(
            {
                "name": f"RADIUS of {first.name}" + (f" ({schema})" if schema else ""),
                "dsn": dsn,
                "schema": schema or False,
                # a database the routers of several companies use is shared by them
                "company_id": companies.pop() if len(companies) == 1 else False,
            }
        )
        cr.execute(
            "UPDATE wisp_router SET radius_server_id = %s WHERE id = ANY(%s)",
            (server.id, [router_id for router_id, _company_id in routers]),
        )
    cr.execute("ALTER TABLE wisp_router DROP COLUMN radius_dsn, DROP COLUMN radius_schema")
    routers = env["wisp.router"].search(
        [("backend", "=", "radius"), ("provisioning_enabled", "=", True)]
    )
    routers._enqueue_reconcile()
