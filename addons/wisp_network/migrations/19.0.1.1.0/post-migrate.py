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
    servers = {}
    for router_id, dsn, schema, company_id in cr.fetchall():
        key = (dsn, schema)
        if key not in servers:
            router = env["wisp.router"].browse(router_id)
            servers[key] = env["wisp.radius.server"].create(
                {
                    "name": f"RADIUS of {router.name}" + (f" ({schema})" if schema else ""),
                    "dsn": dsn,
                    "schema": schema or False,
                    "company_id": company_id,
                }
            )
        cr.execute(
            "UPDATE wisp_router SET radius_server_id = %s WHERE id = %s",
            (servers[key].id, router_id),
        )
    cr.execute("ALTER TABLE wisp_router DROP COLUMN radius_dsn, DROP COLUMN radius_schema")
    routers = env["wisp.router"].search(
        [("backend", "=", "radius"), ("provisioning_enabled", "=", True)]
    )
    routers._enqueue_reconcile()
