from odoo import api, fields, models


class ReportWispHelpdeskSummary(models.AbstractModel):
    _name = "report.wisp_helpdesk.report_helpdesk_summary"
    _description = "Helpdesk Summary (PDF)"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date(data.get("date_from")) or today.replace(day=1)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        return {
            "doc_ids": docids,
            "doc_model": "wisp.helpdesk.report",
            "date_from": date_from,
            "date_to": date_to,
            "summary": self.env["wisp.helpdesk.report"]._summary(date_from, date_to),
            "company": self.env.company,
        }
