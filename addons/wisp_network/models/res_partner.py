from datetime import timedelta

from odoo import fields, models

# A reading finds the counters of an online subscriber moved; readings are hourly
# (ir_cron_wisp_usage_collect), so two intervals without traffic mean offline.
ONLINE_WINDOW = timedelta(hours=2)
# Services whose subscriber may be online: the others are cut off or not running.
CONNECTED_STATES = ("active", "restricted")


class ResPartner(models.Model):
    _inherit = "res.partner"

    wisp_online_state = fields.Selection(
        [("online", "Online"), ("offline", "Offline"), ("unknown", "Unknown")],
        string="Online Status",
        compute="_compute_wisp_online_state",
        groups="base.group_user",
        help="Online: the last router poll found a session of one of its running "
        "services, or traffic was counted on one in the last two hours. Offline: "
        "neither, although its router was reachable. Unknown: no running service on a "
        "reachable router.",
    )

    def _compute_wisp_online_state(self):
        since = fields.Datetime.now() - ONLINE_WINDOW
        # Read as superuser: the status shown is one word, staff need no router rights.
        services = (
            self.env["wisp.service"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                    ("state", "in", CONNECTED_STATES),
                ]
            )
        )
        for partner in self:
            mine = services.filtered(
                lambda s, p=partner: s.commercial_partner_id == p.commercial_partner_id
            )
            if mine.session_ids.filtered(lambda row: row.state == "open") or any(
                s.last_traffic_date and s.last_traffic_date >= since for s in mine
            ):
                partner.wisp_online_state = "online"
            elif mine.router_id.filtered(lambda r: r.reachability == "reachable"):
                partner.wisp_online_state = "offline"
            else:
                partner.wisp_online_state = "unknown"
