"""Escalation rules: what happens when a ticket's SLA is at risk or breached.

The cron looks at every running SLA of an open ticket; for each active rule
that matches the ticket (team, category) and whose trigger is reached, it
raises the priority, reassigns the ticket to the next level team and notifies
the manager, as the rule says. A ``wisp.helpdesk.escalation`` row per
(ticket SLA, rule), unique in the database, makes each step happen once.
"""

import logging

from odoo import api, fields, models
from odoo.fields import Domain

_logger = logging.getLogger(__name__)

TRIGGERS = [("at_risk", "SLA at risk"), ("breached", "SLA breached")]
TOP_PRIORITY = 3


class WispHelpdeskEscalationRule(models.Model):
    _name = "wisp.helpdesk.escalation.rule"
    _description = "Ticket Escalation Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    trigger = fields.Selection(TRIGGERS, required=True, default="at_risk")
    risk_pct = fields.Float(
        string="At Risk From (%)",
        default=75.0,
        help="Share of the SLA's working hours used from which the SLA is at risk.",
    )
    team_ids = fields.Many2many(
        "helpdesk.ticket.team", string="Teams", help="Only tickets of these teams; empty for all."
    )
    category_ids = fields.Many2many(
        "helpdesk.ticket.category",
        string="Categories",
        help="Only tickets of these categories; empty for all.",
    )
    raise_priority = fields.Boolean(default=True)
    reassign = fields.Boolean(
        string="Reassign to Next Level",
        help="Move the ticket to the rule's team, else to its team's next level team.",
    )
    escalation_team_id = fields.Many2one("helpdesk.ticket.team", string="Escalate To")
    notify_manager = fields.Boolean(default=True)
    manager_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Who is notified; empty for the leader of the ticket's team.",
    )

    _risk_pct_range = models.Constraint(
        "CHECK(risk_pct > 0 AND risk_pct <= 100)",
        "The at-risk percentage must be between 0 and 100.",
    )

    # -------------------------------------------------------------------------
    # Cron
    # -------------------------------------------------------------------------
    @api.model
    def _cron_escalate(self, now=None):
        """Escalate every running or expired SLA whose rule triggers; returns the steps taken."""
        now = now or fields.Datetime.now()
        rules = self.sudo().search([])
        if not rules:
            return self.env["wisp.helpdesk.escalation"]
        ticket_slas = (
            self.env["helpdesk.ticket.sla"]
            .sudo()
            .search(
                # helpdesk_mgmt_sla marks a late SLA "expired" on the ticket's next
                # stage change: that one must still escalate
                Domain("state", "in", ("in_progress", "expired"))
                & Domain("ticket_id.active", "=", True)
                & Domain("ticket_id.stage_id.closed", "=", False)
                & Domain("ticket_id.team_id.use_sla", "=", True)
            )
        )
        done = {
            (step.ticket_sla_id.id, step.rule_id.id)
            for step in self.env["wisp.helpdesk.escalation"]
            .sudo()
            .search([("ticket_sla_id", "in", ticket_slas.ids)])
        }
        steps = self.env["wisp.helpdesk.escalation"]
        for ticket_sla in ticket_slas:
            breached = ticket_sla._wisp_breached(now)
            ratio = None
            for rule in rules:
                if (ticket_sla.id, rule.id) in done or not rule._matches(ticket_sla.ticket_id):
                    continue
                if rule.trigger == "breached":
                    triggered = breached
                else:
                    if ratio is None:
                        ratio = ticket_sla._wisp_consumed_ratio(now)
                    triggered = breached or ratio * 100 >= rule.risk_pct
                if triggered:
                    steps |= rule._escalate(ticket_sla, now)
                    done.add((ticket_sla.id, rule.id))
        return steps

    def _matches(self, ticket):
        self.ensure_one()
        return (
            (not self.team_ids or ticket.team_id in self.team_ids)
            and (not self.category_ids or ticket.category_id in self.category_ids)
            and (not self.company_id or ticket.company_id == self.company_id)
        )

    def _escalate(self, ticket_sla, now):
        """Apply this rule to the ticket of ``ticket_sla``; log it on the ticket."""
        self.ensure_one()
        ticket = ticket_sla.ticket_id
        actions = []
        vals = {}
        if self.raise_priority and int(ticket.priority or 0) < TOP_PRIORITY:
            vals["priority"] = str(int(ticket.priority or 0) + 1)
            priorities = dict(ticket._fields["priority"]._description_selection(self.env))
            actions.append(self.env._("priority raised to %s", priorities[vals["priority"]]))
        old_team = ticket.team_id
        if self.reassign:
            target = self.escalation_team_id or old_team.wisp_escalation_team_id
            if target and target != old_team:
                vals["team_id"] = target.id
                actions.append(self.env._("reassigned to %s", target.display_name))
            else:
                actions.append(self.env._("no next level team to reassign to"))
        manager = self.env["res.users"]
        if self.notify_manager:
            manager = (
                self.manager_id
                or old_team.user_id
                or self.env["helpdesk.ticket.team"].browse(vals.get("team_id")).user_id
            )
            if manager:
                actions.append(self.env._("%s notified", manager.name))
            else:
                actions.append(self.env._("no manager to notify"))
        step = (
            self.env["wisp.helpdesk.escalation"]
            .sudo()
            .create(
                {
                    "ticket_id": ticket.id,
                    "ticket_sla_id": ticket_sla.id,
                    "rule_id": self.id,
                    "trigger": self.trigger,
                    "date": now,
                    "summary": "; ".join(actions),
                }
            )
        )
        if vals:
            ticket.sudo().write(vals)
        body = self.env._(
            "Escalation (%(trigger)s, SLA %(sla)s, rule %(rule)s): %(actions)s.",
            trigger=dict(TRIGGERS)[self.trigger],
            sla=ticket_sla.sla_id.name,
            rule=self.name,
            actions=step.summary,
        )
        ticket.sudo().message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            partner_ids=manager.partner_id.ids,
        )
        if manager:
            ticket.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=manager.id,
                summary=self.env._("Escalated ticket %s", ticket.number),
                note=body,
            )
        _logger.info("ticket %s escalated by rule %s", ticket.id, self.id)
        return step
