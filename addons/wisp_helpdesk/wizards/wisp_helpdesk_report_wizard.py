from odoo import fields, models


class WispHelpdeskReportWizard(models.TransientModel):
    _name = "wisp.helpdesk.report.wizard"
    _description = "Print the Helpdesk Summary"

    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)

    def action_print(self):
        self.check_access("read")  # helpdesk managers only (ACL)
        self.ensure_one()
        return self.env.ref("wisp_helpdesk.action_report_helpdesk_summary").report_action(
            self,
            data={
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
            },
        )
