"""Prepaid plans last minutes, hours or days (``prepaid_duration`` + unit), and a
service's prepaid end is a moment (``expiry_datetime``), its date computed from it.

Before the registry loads: the old day count keeps its column under the new name
(the unit column is then created with its default, days), and every existing end
date becomes the end of that day, as it meant (access ran through it).
"""

from odoo.tools.sql import column_exists, rename_column


def migrate(cr, version):
    if column_exists(cr, "product_template", "prepaid_duration_days") and not column_exists(
        cr, "product_template", "prepaid_duration"
    ):
        rename_column(cr, "product_template", "prepaid_duration_days", "prepaid_duration")
    if not column_exists(cr, "wisp_service", "expiry_datetime"):
        cr.execute("ALTER TABLE wisp_service ADD COLUMN expiry_datetime timestamp")
        cr.execute(
            "UPDATE wisp_service SET expiry_datetime = expiry_date + interval '1 day' "
            "- interval '1 second' WHERE expiry_date IS NOT NULL"
        )
