from odoo import fields, models


class HelpdeskTicketSla(models.Model):
    _inherit = "helpdesk.ticket.sla"

    def _wisp_consumed_ratio(self, now=None):
        """Share (0-1+) of this SLA's working hours already used, as of ``now``.

        Counts the working hours of the team's calendar, like helpdesk_mgmt_sla
        does for the deadline: time on hold (ignored stages) is not consumed.
        """
        self.ensure_one()
        if not self.hours:
            return 0.0
        now = now or fields.Datetime.now()
        consumed = self.consumed_time
        if self.state == "in_progress":
            start = self.last_state_date or self.ticket_id.create_date
            calendar = self.ticket_id.team_id.resource_calendar_id
            if start and calendar and now > start:
                consumed += calendar.get_work_hours_count(start, now, compute_leaves=True)
        return consumed / self.hours

    def _wisp_breached(self, now=None):
        self.ensure_one()
        now = now or fields.Datetime.now()
        return self.state == "expired" or (
            self.state == "in_progress" and bool(self.deadline) and self.deadline <= now
        )
