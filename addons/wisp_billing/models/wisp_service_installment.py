from odoo import fields, models


class WispServiceInstallment(models.Model):
    _inherit = "wisp.service.installment"

    last_billed_date = fields.Date(
        copy=False,
        readonly=True,
        help="Start of the cycle whose invoice carried the last installment; an "
        "installment is billed at most once per cycle.",
    )
    invoice_line_ids = fields.One2many("account.move.line", "wisp_installment_id")
