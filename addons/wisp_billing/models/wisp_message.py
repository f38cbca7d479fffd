import base64
import functools
import logging
import subprocess

from odoo import models
from odoo.addons.base.models.ir_actions_report import _wkhtml
from odoo.tools import split_every

_logger = logging.getLogger(__name__)

# invoices per report run: Odoo's own batch for Send & Print (account.pdf_generation_batch)
PDF_BATCH = 80


@functools.lru_cache(1)
def wkhtmltopdf_renders_many():
    """Whether wkhtmltopdf is built with Odoo's patched Qt. Only then does Odoo render
    several documents in one run: another build (Debian's) exits 1 on the header and
    footer switches, and Odoo refuses the batch after rendering all of it."""
    try:
        done = subprocess.run(  # noqa: S603 - the binary Odoo itself found and runs
            [_wkhtml().bin, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "patched qt" in done.stdout


class WispMessage(models.Model):
    _inherit = "wisp.message"

    def _prepare_documents(self):
        """Render the invoice PDF of every invoice this batch e-mails in one report run per
        80 invoices, stored as the invoice's official PDF the way Odoo's Send & Print
        stores it (``invoice_pdf_report_file``), instead of one wkhtmltopdf run per
        message: that run, not the e-mail, is what a message costs."""
        super()._prepare_documents()
        if not wkhtmltopdf_renders_many():
            return  # each message renders its own PDF
        invoices = self._invoices_to_render()
        Send = self.env["account.move.send"]
        for report, report_invoices in invoices.items():
            for batch in split_every(
                PDF_BATCH, report_invoices.ids, self.env["account.move"].browse
            ):
                try:
                    with self.env.cr.savepoint():
                        batch_data = {invoice: {"pdf_report": report} for invoice in batch}
                        Send._prepare_invoice_pdf_report(batch_data)
                        Send._link_invoice_documents(batch_data)
                except Exception as exc:  # each message renders its own PDF instead
                    _logger.warning("Invoice PDFs of %s not rendered in one run: %s", batch, exc)

    def _invoices_to_render(self):
        """``{invoice report: invoices}``: the posted invoices without their official PDF
        yet that these e-mails attach an invoice report of."""
        to_render = {}
        emails = self.filtered(lambda m: m.channel == "email" and m.res_model == "account.move")
        # the batch's invoices read together, not one query per message
        invoices = self.env["account.move"].browse(emails.mapped("res_id")).exists()
        by_id = {invoice.id: invoice for invoice in invoices}
        for message in emails:
            report = message._invoice_report()
            invoice = by_id.get(message.res_id, invoices.browse())
            if report and invoice.state == "posted" and not invoice.invoice_pdf_report_id:
                to_render[report] = to_render.get(report, invoice.browse()) | invoice
        return to_render

    def _invoice_report(self):
        reports = self.event_id.mail_template_id.report_template_ids
        return reports.filtered(lambda r: r._is_invoice_report(r))[:1]

    def _render_mail(self, template, document):
        """An invoice that has its official PDF attaches it instead of rendering the
        template's invoice report again."""
        report = self._invoice_report()
        pdf = (
            document.invoice_pdf_report_id if report and document._name == "account.move" else None
        )
        if not pdf or template.report_template_ids != report:
            return super()._render_mail(template, document)
        values = template._generate_template(
            document.ids, ("subject", "body_html", "attachment_ids")
        )[document.id]
        values["attachments"] = [(pdf.name, base64.b64encode(pdf.raw))]
        return values
