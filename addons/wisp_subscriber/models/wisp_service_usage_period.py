from odoo import api, fields, models
from odoo.tools import float_round

PERIOD_STATES = [("open", "Open"), ("closed", "Closed"), ("invoiced", "Invoiced")]


class WispServiceUsagePeriod(models.Model):
    """One data cap cycle of one service: the usage ledger of usage charges.

    The seam between the addons that measure and the addons that bill, which never
    know each other: wisp_network fills it from its readings (the current cycle's
    row kept up to date by each reading, closed when the cycle ends, where caps are
    reset); wisp_billing charges closed periods past their allowance on the next
    consolidated invoice. What is charged is computed here only
    (:meth:`_overage_charge`, with the plan's rules), for the portal's running
    amount and for the invoice line alike. Written by the system only: no role has
    write access, the measured figures are read-only for everyone.
    """

    _name = "wisp.service.usage.period"
    _description = "Service Usage Period"
    _order = "date_start desc, service_id"
    _rec_name = "date_start"

    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(
        related="service_id.commercial_partner_id", store=True, index=True, string="Account"
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one(
        "product.product",
        readonly=True,
        required=True,
        help="The plan in force at the last reading of the cycle: its rules price the "
        "usage past the allowance.",
    )
    date_start = fields.Date(string="Cycle Start", required=True, readonly=True)
    date_end = fields.Date(string="Cycle End", required=True, readonly=True)
    used_mb = fields.Float(string="Used (MB)", digits=(16, 1), readonly=True)
    allowance_mb = fields.Float(string="Allowance (MB)", digits=(16, 1), readonly=True)
    over_mb = fields.Float(
        string="Past the Allowance (MB)",
        digits=(16, 1),
        compute="_compute_over_mb",
        store=True,
        index="btree_not_null",
    )
    is_closed = fields.Boolean(readonly=True, help="The cycle has ended: its figures are final.")
    state = fields.Selection(
        PERIOD_STATES,
        compute="_compute_state",
        store=True,
        index=True,
        help="Open: the cycle runs, its usage grows. Closed: the cycle ended; past the "
        "allowance it waits for the next invoice. Invoiced: an invoice that is not "
        "cancelled carries its charge (closed again if that invoice is cancelled).",
    )
    overage_quantity = fields.Float(
        string="Quantity Charged", compute="_compute_overage", digits="Product Unit"
    )
    overage_amount = fields.Monetary(string="Amount Charged", compute="_compute_overage")

    _service_start_uniq = models.UniqueIndex("(service_id, date_start)")

    @api.depends("used_mb", "allowance_mb")
    def _compute_over_mb(self):
        for period in self:
            # the readings are stored to 0.1 MB: exactly at the allowance is 0, not 1e-12
            period.over_mb = max(float_round(period.used_mb - period.allowance_mb, 1), 0.0)

    @api.depends("is_closed")
    def _compute_state(self):
        for period in self:
            period.state = "closed" if period.is_closed else "open"

    @api.depends("over_mb", "plan_id")
    def _compute_overage(self):
        for period in self:
            quantity, price = period._overage_charge()
            period.overage_quantity = quantity
            period.overage_amount = period.currency_id.round(quantity * price)

    def _overage_charge(self):
        """``(quantity, price per unit)`` of this period's usage past its allowance,
        so far (open) or final (closed): the invoice line's and the portal's figures."""
        self.ensure_one()
        return self.plan_id.sudo().product_tmpl_id._wisp_overage_charge(self.over_mb)
