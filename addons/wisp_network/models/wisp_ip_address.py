from datetime import timedelta

from odoo import fields, models

ADDRESS_STATES = [
    ("free", "Free"),
    ("used", "Used"),
    ("quarantined", "Quarantined"),
    ("reserved", "Reserved"),
]


class WispIpAddress(models.Model):
    """One entry of a pool: an IPv4 host address or a delegated IPv6 prefix.

    Written by the allocator only (activation, staff choice, termination,
    the quarantine cron), which runs as superuser after the caller's checks.
    """

    _name = "wisp.ip.address"
    _description = "IP Pool Entry"
    _order = "pool_id, host_index"
    _rec_name = "address"

    pool_id = fields.Many2one("wisp.ip.pool", required=True, ondelete="cascade", index=True)
    site_id = fields.Many2one(related="pool_id.site_id")
    company_id = fields.Many2one(related="pool_id.company_id")
    host_index = fields.Integer(required=True, help="Position of the entry in its pool.")
    address = fields.Char(required=True)  # indexed with its pool (UNIQUE below)
    state = fields.Selection(ADDRESS_STATES, required=True, default="free")
    service_id = fields.Many2one("wisp.service", index="btree_not_null", ondelete="set null")
    quarantine_until = fields.Datetime(
        help="After this moment the quarantine cron frees the address."
    )

    _pool_entry_uniq = models.Constraint(
        "UNIQUE(pool_id, host_index)", "An entry appears once in its pool."
    )
    _pool_address_uniq = models.Constraint(
        "UNIQUE(pool_id, address)", "An address appears once in its pool."
    )
    # The allocator's lookup: the first free entry of a pool.
    _free_idx = models.Index("(pool_id, host_index) WHERE state = 'free'")

    def _release(self, quarantine):
        """Give the entries back: into quarantine (an address that was on the network)
        or free at once (a service that never ran, a pool without quarantine)."""
        now = fields.Datetime.now()
        for entry in self:
            days = entry.pool_id.quarantine_days
            if quarantine and days > 0:
                entry.write(
                    {"state": "quarantined", "quarantine_until": now + timedelta(days=days)}
                )
            else:
                entry.write({"state": "free", "service_id": False, "quarantine_until": False})
