"""The network password moved to ``network_secret``: ``network_password`` is now a
computed field that shows installers only the passwords of their own open orders.

Renamed before the registry loads, so no password is lost (a service without one
would be removed from its router by the next sync).
"""

from odoo.tools.sql import column_exists, rename_column


def migrate(cr, version):
    if column_exists(cr, "wisp_service", "network_password") and not column_exists(
        cr, "wisp_service", "network_secret"
    ):
        rename_column(cr, "wisp_service", "network_password", "network_secret")
