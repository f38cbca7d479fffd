from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    wisp_service_id = fields.Many2one(
        "wisp.service", string="Service", index="btree_not_null", copy=False
    )
    wisp_period_start = fields.Date(string="Period Start", copy=False)
    wisp_period_end = fields.Date(string="Period End", copy=False)
    wisp_adjustment_id = fields.Many2one(
        "wisp.billing.adjustment", index="btree_not_null", copy=False
    )
    wisp_installment_id = fields.Many2one(
        "wisp.service.installment", index="btree_not_null", copy=False
    )
    wisp_usage_period_id = fields.Many2one(
        "wisp.service.usage.period", index="btree_not_null", copy=False
    )
    wisp_address_id = fields.Many2one(
        related="wisp_service_id.address_id", string="Service Address"
    )
