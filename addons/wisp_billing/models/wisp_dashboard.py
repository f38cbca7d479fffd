from datetime import timedelta

from odoo import fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, has_groups

from .account_move import OPEN_PAYMENT_STATES
from .wisp_service import BILLABLE_STATES

# Ageing of overdue invoices: (key, first day late, last day late or None).
AGEING_BUCKETS = (("1_30", 1, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("90_plus", 91, None))
# How far ahead "to hold soon" looks, in days.
HOLD_HORIZON_DAYS = 7


class WispDashboard(models.AbstractModel):
    _inherit = "wisp.dashboard"

    def _wisp_dashboard_sections(self, company, today):
        sections = super()._wisp_dashboard_sections(company, today)
        if has_groups(self.env, (BILLING,)):
            sections.append(self._wisp_billing_section(company, today))
        return sections

    def _wisp_recurring_services_domain(self, company):
        """Services that bring recurring revenue: charged by the billing run (prepaid
        plans and voucher-funded services are paid up front, not every month)."""
        return [
            ("company_id", "=", company.id),
            ("state", "in", BILLABLE_STATES),
            ("wisp_voucher_funded", "=", False),
            ("plan_id.is_prepaid", "=", False),
        ]

    def _wisp_mrr(self, domain):
        """Monthly recurring revenue of the services of ``domain``: each plan and
        add-on at its list price per month (a quarterly plan counts a third), from
        the database's count of services per product."""
        Service = self.env["wisp.service"]
        mrr = 0.0
        for field in ("plan_id", "addon_ids"):
            for product, count in Service._read_group(domain, [field], ["__count"]):
                if product:
                    months = product.product_tmpl_id._billing_period_months()
                    mrr += count * product.lst_price / months
        return mrr

    def _wisp_billing_section(self, company, today):
        env = self.env
        currency = company.currency_id
        recurring = self._wisp_recurring_services_domain(company)
        mrr = currency.round(self._wisp_mrr(recurring))
        # per account billed: active, restricted or suspended (paused ones pay nothing)
        accounts, counts = self._wisp_accounts(company)
        paying = sum(counts.get(state, 0) for state in BILLABLE_STATES)
        figures = [
            self._wisp_figure(
                "mrr",
                env._("MRR"),
                "wisp.service",
                recurring,
                xmlid="wisp_subscriber.wisp_service_action",
                value=mrr,
                kind="monetary",
            ),
            self._wisp_figure(
                "arpu",
                env._("ARPU"),
                "res.partner",
                [*accounts, ("subscriber_state", "in", list(BILLABLE_STATES))],
                xmlid="wisp_subscriber.res_partner_action_wisp_subscriber",
                value=currency.round(mrr / paying) if paying else 0.0,
                kind="monetary",
                context={"active_test": False},
            ),
            *self._wisp_overdue_figures(company, today),
            *self._wisp_dunning_figures(company, today),
        ]
        return {
            "key": "billing",
            "title": env._("Billing"),
            "sequence": 20,
            "figures": figures,
            "tables": [],
        }

    def _wisp_overdue_figures(self, company, today):
        """Overdue amount (company currency), in total and per ageing bucket, from
        one sum per due date."""
        env = self.env
        open_invoices = [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_PAYMENT_STATES),
        ]
        overdue = [*open_invoices, ("invoice_date_due", "<", fields.Date.to_string(today))]
        per_due_date = env["account.move"]._read_group(
            overdue, ["invoice_date_due:day"], ["amount_residual_signed:sum"]
        )
        xmlid = "account.action_move_out_invoice_type"

        def days_ago(days):
            return fields.Date.to_string(today - timedelta(days=days))

        buckets = []
        for key, first, last in AGEING_BUCKETS:
            domain = [*open_invoices, ("invoice_date_due", "<=", days_ago(first))]
            if last:
                domain.append(("invoice_date_due", ">=", days_ago(last)))
            amount = sum(
                amount
                for due, amount in per_due_date
                if first <= (today - due).days and (not last or (today - due).days <= last)
            )
            label = (
                env._("%(first)s-%(last)s Days", first=first, last=last)
                if last
                else env._("Over %(days)s Days", days=first - 1)
            )
            buckets.append(
                self._wisp_figure(
                    f"overdue_{key}",
                    label,
                    "account.move",
                    domain,
                    xmlid=xmlid,
                    value=company.currency_id.round(amount),
                    kind="monetary",
                    alert=True,
                )
            )
        total = self._wisp_figure(
            "overdue",
            env._("Overdue"),
            "account.move",
            overdue,
            xmlid=xmlid,
            value=company.currency_id.round(sum(amount for _due, amount in per_due_date)),
            kind="monetary",
            alert=True,
        )
        return [total, *buckets]

    def _wisp_dunning_figures(self, company, today):
        """Lines to hold soon and lines held, from one count per hold date."""
        env = self.env
        xmlid = "wisp_billing.action_wisp_dunning_line"
        mine = [("company_id", "=", company.id)]
        horizon = today + timedelta(days=HOLD_HORIZON_DAYS)
        to_hold = held = 0
        for is_held, hold_date, count in env["wisp.dunning.line"]._read_group(
            mine, ["held", "hold_date:day"], ["__count"]
        ):
            if is_held:
                held += count
            elif hold_date <= horizon:
                to_hold += count
        return [
            self._wisp_figure(
                "to_hold",
                env._("To Hold Within %(days)s Days", days=HOLD_HORIZON_DAYS),
                "wisp.dunning.line",
                [*mine, ("held", "=", False), ("hold_date", "<=", fields.Date.to_string(horizon))],
                xmlid=xmlid,
                value=to_hold,
                alert=True,
            ),
            self._wisp_figure(
                "held",
                env._("Held by Dunning"),
                "wisp.dunning.line",
                [*mine, ("held", "=", True)],
                xmlid=xmlid,
                value=held,
                alert=True,
            ),
        ]
