"""Ticket analysis for managers: one row per ticket, read as SQL.

First response and resolution are wall-clock hours from the ticket's creation
to ``wisp_first_response_date`` and ``closed_date``. A ticket's SLA status is
*met* when all its SLAs were accomplished, *breached* when one expired (or runs
past its deadline), else *running*; ``sla_compliance`` is 100 / 0 / empty so
its average over any group is the share of decided tickets that met the SLA.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .helpdesk_ticket import PRIORITIES

SLA_STATES = [
    ("none", "No SLA"),
    ("running", "Running"),
    ("met", "Met"),
    ("breached", "Breached"),
]
AGE_BUCKETS = [
    ("0_1", "Under 1 day"),
    ("1_3", "1-3 days"),
    ("3_7", "3-7 days"),
    ("7_", "Over 7 days"),
]
GROUPINGS = ("team_id", "user_id", "category_id")
AGGREGATES = [
    "__count",
    "first_response_hours:avg",
    "resolution_hours:avg",
    "sla_met:sum",
    "sla_breached:sum",
]


class WispHelpdeskReport(models.Model):
    _name = "wisp.helpdesk.report"
    _description = "Helpdesk Ticket Analysis"
    _auto = False
    _order = "create_date desc"
    _rec_name = "ticket_id"

    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    closed_date = fields.Datetime(string="Closed On", readonly=True)
    team_id = fields.Many2one("helpdesk.ticket.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    category_id = fields.Many2one("helpdesk.ticket.category", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Subscriber", readonly=True)
    service_id = fields.Many2one("wisp.service", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    ticket_count = fields.Integer(string="Tickets", readonly=True, aggregator="sum")
    first_response_hours = fields.Float(
        string="First Response (h)", readonly=True, aggregator="avg", digits=(16, 2)
    )
    resolution_hours = fields.Float(
        string="Resolution (h)", readonly=True, aggregator="avg", digits=(16, 2)
    )
    sla_state = fields.Selection(SLA_STATES, string="SLA", readonly=True)
    sla_met = fields.Integer(string="SLA Met", readonly=True, aggregator="sum")
    sla_breached = fields.Integer(string="SLA Breached", readonly=True, aggregator="sum")
    sla_compliance = fields.Float(
        string="SLA Compliance (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    age_days = fields.Float(string="Age (days)", readonly=True, aggregator="avg", digits=(16, 1))
    age_bucket = fields.Selection(AGE_BUCKETS, string="Age", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH sla AS (
                SELECT ticket_id,
                       bool_or(state = 'expired'
                               OR (state = 'in_progress' AND deadline < %(now)s)) AS breached,
                       bool_and(state = 'accomplished') AS met
                  FROM helpdesk_ticket_sla
                 GROUP BY ticket_id
            ), base AS (
                SELECT t.id, t.id AS ticket_id, t.create_date, t.closed_date, t.team_id,
                       t.user_id, t.category_id, t.commercial_partner_id AS partner_id,
                       t.wisp_service_id AS service_id, t.company_id, t.priority,
                       COALESCE(stage.closed, FALSE) AS is_closed, 1 AS ticket_count,
                       EXTRACT(EPOCH FROM (t.wisp_first_response_date - t.create_date))
                           / 3600.0 AS first_response_hours,
                       EXTRACT(EPOCH FROM (t.closed_date - t.create_date))
                           / 3600.0 AS resolution_hours,
                       CASE WHEN sla.ticket_id IS NULL THEN 'none'
                            WHEN sla.breached THEN 'breached'
                            WHEN sla.met THEN 'met'
                            ELSE 'running' END AS sla_state,
                       CASE WHEN COALESCE(stage.closed, FALSE) THEN NULL
                            ELSE EXTRACT(EPOCH FROM (%(now)s - t.create_date)) / 86400.0
                       END AS age_days
                  FROM helpdesk_ticket t
                  LEFT JOIN helpdesk_ticket_stage stage ON stage.id = t.stage_id
                  LEFT JOIN sla ON sla.ticket_id = t.id
                 WHERE t.active
            )
            SELECT base.*,
                   CASE WHEN sla_state = 'met' THEN 1 ELSE 0 END AS sla_met,
                   CASE WHEN sla_state = 'breached' THEN 1 ELSE 0 END AS sla_breached,
                   CASE WHEN sla_state = 'met' THEN 100.0
                        WHEN sla_state = 'breached' THEN 0.0 END AS sla_compliance,
                   CASE WHEN age_days IS NULL THEN NULL
                        WHEN age_days < 1 THEN '0_1'
                        WHEN age_days < 3 THEN '1_3'
                        WHEN age_days < 7 THEN '3_7'
                        ELSE '7_' END AS age_bucket
              FROM base
            """,
            now=fields.Datetime.now(),
        )

    @api.model
    def _summary(self, date_from, date_to):
        """Figures of the tickets created from ``date_from`` to ``date_to`` included.

        ``{"total": row, "team_id": [rows], "user_id": [rows], "category_id": [rows],
        "open_by_age": [(label, count)]}``; a row has the count, closed, average
        first response and resolution (hours), SLA met / breached and compliance
        (% of the tickets whose SLA is decided, None when none is).
        """
        start = fields.Datetime.to_datetime(date_from)
        end = fields.Datetime.to_datetime(date_to) + timedelta(days=1)
        domain = [("create_date", ">=", start), ("create_date", "<", end)]
        closed_domain = [*domain, ("is_closed", "=", True)]
        result = {}
        for group in GROUPINGS:
            closed = dict(self._read_group(closed_domain, [group], ["__count"]))
            result[group] = [
                _row(key.display_name if key else "", count, closed.get(key, 0), figures)
                for key, count, *figures in self._read_group(domain, [group], AGGREGATES)
            ]
        [(count, *figures)] = self._read_group(domain, [], ["__count", *AGGREGATES[1:]])
        result["total"] = _row("", count, self.search_count(closed_domain), figures)
        labels = dict(AGE_BUCKETS)
        result["open_by_age"] = [
            (labels[bucket], count)
            for bucket, count in self._read_group(
                [("is_closed", "=", False)], ["age_bucket"], ["__count"], order="age_bucket"
            )
            if bucket
        ]
        return result


def _row(name, count, closed, figures):
    first, resolution, met, breached = figures
    decided = (met or 0) + (breached or 0)
    return {
        "name": name,
        "count": count,
        "closed": closed,
        "first_response_hours": first or 0.0,
        "resolution_hours": resolution or 0.0,
        "sla_met": met or 0,
        "sla_breached": breached or 0,
        "sla_compliance": (100.0 * met / decided) if decided else None,
        "sla_compliance_label": f"{100.0 * met / decided:.0f} %" if decided else "-",
        "first_response_label": f"{first or 0.0:.1f}",
        "resolution_label": f"{resolution or 0.0:.1f}",
    }
