from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    wisp_prepaid_notice_days = fields.Integer(
        string="Prepaid Expiry Notice (days)",
        default=3,
        help="Prepaid subscribers hear this many days before their pass ends that it "
        "is about to; 0 sends no notice. Passes shorter than that are not announced.",
    )

    @api.constrains("wisp_prepaid_notice_days")
    def _check_wisp_prepaid_notice_days(self):
        if any(company.wisp_prepaid_notice_days < 0 for company in self):
            raise ValidationError(self.env._("The prepaid notice cannot be negative."))
