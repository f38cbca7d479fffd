from odoo import fields, models

from .wisp_helpdesk_escalation_rule import TRIGGERS


class WispHelpdeskEscalation(models.Model):
    """One escalation step taken on a ticket: the proof that it happens once."""

    _name = "wisp.helpdesk.escalation"
    _description = "Ticket Escalation Step"
    _order = "date desc, id desc"

    ticket_id = fields.Many2one(
        "helpdesk.ticket", required=True, index=True, ondelete="cascade", readonly=True
    )
    ticket_sla_id = fields.Many2one(
        "helpdesk.ticket.sla", required=True, index=True, ondelete="cascade", readonly=True
    )
    sla_id = fields.Many2one(related="ticket_sla_id.sla_id", string="SLA")
    rule_id = fields.Many2one(
        "wisp.helpdesk.escalation.rule", required=True, ondelete="cascade", readonly=True
    )
    trigger = fields.Selection(TRIGGERS, required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    summary = fields.Char(readonly=True)

    # Two cron runs at once cannot escalate the same SLA twice by the same rule.
    _sla_rule_uniq = models.UniqueIndex("(ticket_sla_id, rule_id)")
