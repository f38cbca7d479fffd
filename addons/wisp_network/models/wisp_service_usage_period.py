from odoo import models
from odoo.tools import float_round


class WispServiceUsagePeriod(models.Model):
    _inherit = "wisp.service.usage.period"

    def _wisp_close(self):
        """Close these periods with their final usage: every reading of their cycle's
        days, read in one query per cycle."""
        Usage = self.env["wisp.service.usage"].sudo()
        for (start, end), periods in self.grouped(lambda p: (p.date_start, p.date_end)).items():
            totals = dict(
                Usage._read_group(
                    [
                        ("service_id", "in", periods.service_id.ids),
                        ("date", ">=", start),
                        ("date", "<=", end),
                    ],
                    ["service_id"],
                    ["total_mb:sum"],
                )
            )
            for period in periods:
                used = float_round(totals.get(period.service_id, 0.0), 1)
                if used != period.used_mb:
                    period.used_mb = used
        self.write({"is_closed": True})
