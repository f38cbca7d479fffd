from odoo import api, models

# wkhtmltopdf's wait for scripts before printing an invoice, in ms. Odoo waits
# ``report.print_delay`` (1000 ms) for every report; an invoice's page has no script
# to wait for (its header and footer fill their page numbers on load), so the wait is
# most of the cost of each invoice PDF (1.2 s against 0.2 s with Debian's build, the
# same PDF). A localisation adding scripts to invoices can set it back.
INVOICE_PRINT_DELAY_PARAM = "wisp_billing.invoice_print_delay"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _run_wkhtmltopdf(self, bodies, report_ref=False, **kwargs):
        # the arguments are built without the report: tell them which one it is
        report = self.with_context(wisp_report_ref=report_ref)
        return super(IrActionsReport, report)._run_wkhtmltopdf(
            bodies, report_ref=report_ref, **kwargs
        )

    @api.model
    def _build_wkhtmltopdf_args(self, *args, **kwargs):
        command_args = super()._build_wkhtmltopdf_args(*args, **kwargs)
        report_ref = self.env.context.get("wisp_report_ref")
        if report_ref and self._is_invoice_report(report_ref):
            delay = self.env["ir.config_parameter"].sudo().get_param(INVOICE_PRINT_DELAY_PARAM, "0")
            command_args[command_args.index("--javascript-delay") + 1] = delay
        return command_args
