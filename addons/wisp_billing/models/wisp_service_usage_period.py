from odoo import api, fields, models


class WispServiceUsagePeriod(models.Model):
    """Billing's side of the usage ledger: a closed period past its allowance is
    charged by one line of the next consolidated invoice, and is invoiced while an
    invoice that is not cancelled carries that line. A cancelled invoice, or a line
    or draft invoice deleted, makes it closed again: the next run charges it (as
    pending adjustments). A credit note does not: crediting a charge is a decision."""

    _inherit = "wisp.service.usage.period"

    invoice_line_ids = fields.One2many(
        "account.move.line", "wisp_usage_period_id", readonly=True, groups="base.group_user"
    )

    @api.depends("invoice_line_ids.parent_state")
    def _compute_state(self):
        result = super()._compute_state()
        for period in self:
            if period.invoice_line_ids.filtered(lambda line: line.parent_state != "cancel"):
                period.state = "invoiced"
        return result

    @api.model
    def _wisp_to_invoice_by_account(self, accounts):
        """``{account: periods}`` of ``accounts`` (commercial partners) waiting for an
        invoice: closed, past their allowance. One search for all of them."""
        return self.search(
            [("partner_id", "in", accounts.ids), ("state", "=", "closed"), ("over_mb", ">", 0)],
            order="date_start, id",
        ).grouped("partner_id")

    def _wisp_invoice_line_vals(self):
        """The invoice line charging this period, or None when its plan charges
        nothing (any more) for it. Quantity and price are the portal's figures."""
        self.ensure_one()
        quantity, price = self._overage_charge()
        if not quantity:
            return None
        plan = self.plan_id.product_tmpl_id
        product = plan.overage_product_id or self.env.ref("wisp_billing.product_data_overage")
        values = {
            "service": self.service_id.name,
            "over": f"{self.over_mb / 1000:.4f}".rstrip("0").rstrip("."),
            "allowance": f"{self.allowance_mb / 1000:g}",
            "start": self.date_start,
            "end": self.date_end,
        }
        if plan.data_cap_policy == "next_tier":
            name = self.env._(
                "%(service)s: %(over)s GB past %(allowance)s GB, charged at the price of "
                "%(plan)s (%(start)s to %(end)s)",
                plan=plan.overage_next_plan_id.name,
                **values,
            )
        else:
            name = self.env._(
                "%(service)s: %(over)s GB past %(allowance)s GB (%(start)s to %(end)s)",
                **values,
            )
        return {
            "product_id": product.id,
            "name": name,
            "quantity": quantity,
            "price_unit": price,
            "wisp_service_id": self.service_id.id,
            "wisp_period_start": self.date_start,
            "wisp_period_end": self.date_end,
            "wisp_usage_period_id": self.id,
        }
