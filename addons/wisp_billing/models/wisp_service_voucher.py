from odoo import fields, models


class WispService(models.Model):
    _inherit = "wisp.service"  # pylint: disable=consider-merging-classes-inherited

    wisp_voucher_funded = fields.Boolean(
        string="Paid by Voucher",
        readonly=True,
        copy=False,
        help="Created by a voucher redemption: its time is paid by vouchers, never "
        "by the recurring billing.",
    )
    wisp_voucher_ids = fields.One2many("wisp.voucher", "service_id", string="Vouchers")

    def _wisp_start_billing(self):
        return super(
            WispService, self.filtered(lambda s: not s.wisp_voucher_funded)
        )._wisp_start_billing()
