from datetime import timedelta

from odoo import fields, models
from odoo.addons.wisp_subscriber.tools.segment import figure_domain
from odoo.tools import SQL

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

    # Segment fact (campaigns): how close the account is to its data cap.
    wisp_cap_usage_percent = fields.Integer(
        string="Data Cap Used (%)",
        compute="_compute_wisp_cap_usage_percent",
        search="_search_wisp_cap_usage_percent",
        groups="base.group_user",
        help="The largest share of its plan's data cap a running service of the account "
        "used in its current cycle (0: no capped service).",
    )

    def _wisp_capped_services(self):
        return (
            self.env["wisp.service"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                    ("state", "in", CONNECTED_STATES),
                    ("plan_id.data_cap_gb", ">", 0),
                ]
            )
        )

    def _compute_wisp_cap_usage_percent(self):
        services = self._wisp_capped_services()
        totals = services._cycle_usage_mb(fields.Date.context_today(self))
        percents = {}
        for service in services:
            used = 100 * totals.get(service.id, 0.0) / (service.plan_id.data_cap_gb * 1000)
            account = service.commercial_partner_id.id
            percents[account] = max(percents.get(account, 0), int(used))
        for partner in self:
            partner.wisp_cap_usage_percent = percents.get(partner.commercial_partner_id.id, 0)

    def _search_wisp_cap_usage_percent(self, operator, value):
        """Accounts by cap used, in one query: each capped service's cycle start (the
        activation day of this or last month, as ``wisp.service._cycle_start``)
        and its readings since (accounts without any count as 0)."""
        today = fields.Date.context_today(self)
        self.env["wisp.service"].flush_model(
            ["commercial_partner_id", "state", "plan_id", "activation_date"]
        )
        self.env["wisp.service.usage"].flush_model(["service_id", "date", "total_mb"])
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["data_cap_gb"])
        # readings since each service's cycle start, summed per service; a cycle
        # starts at most 31 days ago, which lets the date index narrow the readings
        figures = SQL(
            """SELECT cycle.partner_id, MAX(FLOOR(100 * cycle.mb / cycle.cap_mb))
                 FROM (SELECT st.commercial_partner_id AS partner_id,
                              st.data_cap_gb * 1000.0 AS cap_mb,
                              SUM(u.total_mb) AS mb
                         FROM (SELECT s.id, s.commercial_partner_id, t.data_cap_gb,
                                      CASE WHEN month.this_start <= %(today)s::date
                                           THEN month.this_start
                                           ELSE month.last_start END AS start
                                 FROM wisp_service s
                                 JOIN product_product pp ON pp.id = s.plan_id
                                 JOIN product_template t ON t.id = pp.product_tmpl_id
                                CROSS JOIN LATERAL (
                                    SELECT EXTRACT(DAY FROM COALESCE(
                                        s.activation_date,
                                        DATE_TRUNC('month', %(today)s::date)))::int
                                ) anchor(day)
                                CROSS JOIN LATERAL (
                                    SELECT LEAST(
                                               DATE_TRUNC('month', %(today)s::date)::date
                                               + anchor.day - 1,
                                               (DATE_TRUNC('month', %(today)s::date)
                                                + INTERVAL '1 month - 1 day')::date),
                                           LEAST(
                                               DATE_TRUNC('month', %(today)s::date
                                                          - INTERVAL '1 month')::date
                                               + anchor.day - 1,
                                               DATE_TRUNC('month', %(today)s::date)::date - 1)
                                ) month(this_start, last_start)
                                WHERE s.state IN %(states)s AND t.data_cap_gb > 0) st
                         JOIN wisp_service_usage u
                           ON u.service_id = st.id AND u.date >= st.start
                        WHERE u.date >= %(today)s::date - 31
                     GROUP BY st.id, st.commercial_partner_id, st.data_cap_gb) cycle
             GROUP BY cycle.partner_id""",
            today=today,
            states=CONNECTED_STATES,
        )
        return figure_domain(figures, operator, value)
