from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.addons.wisp_billing.tools.proration import block_end, cycle_bounds
from odoo.addons.wisp_subscriber.tools.durations import duration_label

# Worst first: an address shows the worst status of its services.
STATE_SEVERITY = {
    "suspended": 0,
    "restricted": 1,
    "paused": 2,
    "draft": 3,
    "confirmed": 3,
    "installation": 3,
    "active": 4,
    "terminated": 5,
}
STATE_BADGES = {
    "active": "success",
    "restricted": "warning",
    "suspended": "danger",
    "paused": "secondary",
    "terminated": "dark",
}
# A subscriber changes the plan online only while the service runs normally
# (or is not running yet); a blocked service is paid first.
PLAN_CHANGE_STATES = ("confirmed", "installation", "active", "paused")
OPEN_PAYMENT_STATES = ("not_paid", "partial")
UPSELL_LIMIT = 3
# A service's card warns when its cycle usage reaches this share of the data cap.
CAP_WARNING_RATIO = 0.8
# viewBox of the usage charts; the SVG scales to its container.
CHART_WIDTH, CHART_HEIGHT = 300, 100


def speed_label(kbps):
    """``20000`` -> ``"20 Mbit/s"``; ``512`` -> ``"512 kbit/s"``."""
    if kbps >= 1000:
        return f"{kbps / 1000:g} Mbit/s"
    return f"{kbps} kbit/s"


class WispService(models.Model):
    _inherit = "wisp.service"

    # -------------------------------------------------------------------------
    # Portal: data of the dashboard, the service page and the plan change page.
    # Callers pass services the subscriber may read (searched or checked in the
    # subscriber's environment); everything is then read in sudo, in batches,
    # and returned as plain values so the templates run no query per service.
    # -------------------------------------------------------------------------
    def _portal_can_change_plan(self):
        self.ensure_one()
        return bool(
            self.state in PLAN_CHANGE_STATES
            and self.plan_id
            and not self.plan_id.is_prepaid
            and not self.wisp_voucher_funded
        )

    def _portal_candidate_plans(self):
        """Recurring plans on sale for the service types and companies of ``self``."""
        services = self.sudo()
        return (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("is_wisp_plan", "=", True),
                    ("is_prepaid", "=", False),
                    ("sale_ok", "=", True),
                    ("service_type", "in", list(set(services.mapped("service_type")))),
                    ("company_id", "in", [*services.company_id.ids, False]),
                ],
                order="download_kbps, list_price, id",
            )
        )

    def _portal_plan_options(self):
        """Plans this service may move to from the portal (sudo), slowest first."""
        self.ensure_one()
        if not self._portal_can_change_plan():
            return self.env["product.product"]
        service = self.sudo()
        return service._portal_candidate_plans().filtered(
            lambda plan: service._portal_plan_fits(plan) and plan != service.plan_id
        )

    def _portal_plan_fits(self, plan):
        """Whether ``plan`` may replace the plan of this service (same kind, company)."""
        return plan.service_type == self.service_type and (
            not plan.company_id or plan.company_id == self.company_id
        )

    def _portal_prices(self, account, products):
        """``{product id: price per billing period}`` for ``account``, in one go
        (the batch form of ``_wisp_cycle_price``), as the invoice charges it: with
        the product's taxes mapped by the account's fiscal position, as the billing
        run puts them on the invoice, unless the company shows prices before tax."""
        pricelist = account.property_product_pricelist
        if pricelist:
            prices = pricelist._get_products_price(products, 1.0)
        else:
            prices = {product.id: product.lst_price for product in products}
        return {
            product.id: price
            for product, price in zip(
                products,
                self._portal_with_tax(account, [(p, prices[p.id]) for p in products]),
                strict=True,
            )
        }

    def _portal_bundle_prices(self, account, prices):
        """``prices`` (of ``_portal_prices``) with the plan of this service in an intact
        bundle at its share of the bundle price, as its invoice charges it."""
        self.ensure_one()
        if not (self.plan_id and self._wisp_active_bundle_sale()):
            return prices
        share = self._wisp_cycle_price(self.plan_id)
        taxed = self._portal_with_tax(account, [(self.plan_id, share)])[0]
        return {**prices, self.plan_id.id: taxed}

    def _portal_with_tax(self, account, amounts):
        """``[(product, amount before tax)]`` -> the amounts as ``account``'s invoice
        charges them: with the product's taxes mapped by its fiscal position (as
        ``wisp.billing.run._invoice_vals``), unless the company shows prices before tax."""
        company = self.env.company
        if company.wisp_portal_price_tax != "tax_included":
            return [amount for _product, amount in amounts]
        # fiscal positions and taxes are read as superuser: visitors and portal users
        # cannot, and only the amounts leave this method
        Run = self.env["wisp.billing.run"].sudo()
        fiscal_position = Run._delivery_and_fiscal_position(account.sudo())[1]
        result = []
        for product, untaxed in amounts:
            taxes = Run._product_taxes(product.sudo(), fiscal_position)
            result.append(
                taxes.compute_all(untaxed, company.currency_id, 1.0, product.sudo(), account)[
                    "total_included"
                ]
                if taxes
                else untaxed
            )
        return result

    def _portal_list_prices(self, partner, products):
        """``{product id: list price as an invoice of partner charges it}``, for what is
        invoiced at list price: access codes bought online, plans offered to prospects
        (``partner``: the visitor, the public user's partner when anonymous)."""
        prices = self._portal_with_tax(
            partner.commercial_partner_id, [(p, p.sudo().lst_price) for p in products]
        )
        return dict(zip(products.ids, prices, strict=True))

    def _portal_plan_change_preview(self, account, plan, effective_date):
        """``_wisp_plan_change_preview`` with its amounts as the invoice charges them."""
        self.ensure_one()
        preview = self._wisp_plan_change_preview(plan, effective_date)
        Product = self.env["product.product"]

        def taxed(lines):
            return sum(
                self._portal_with_tax(
                    account,
                    [(Product.browse(line["product_id"]), line["price_unit"]) for line in lines],
                )
            )

        # the credit and the charge each net of their discounts (promotions)
        currency = preview["currency"]
        credit = currency.round(-taxed(preview["credit_lines"]))
        charge = currency.round(taxed(preview["charge_lines"]))
        return {
            **preview,
            "credit": credit,
            "charge": charge,
            "net": currency.round(charge - credit),
        }

    def _portal_promotion_price(self, account, plan):
        """What ``plan`` costs for its next whole period (a cycle, or its block of N)
        with this service's promotions, as the invoice charges it; None when no
        promotion discounts it."""
        self.ensure_one()
        if not self.wisp_promotion_ids:
            return None
        billing_day = account._wisp_effective_billing_day()
        today = fields.Date.context_today(self)
        start = cycle_bounds(today, billing_day)[1] + timedelta(days=1)
        end = block_end(start, plan.product_tmpl_id._billing_period_months(), billing_day)
        lines = self._wisp_charge_lines(start, end, products=plan)
        if len(lines) < 2:
            return None
        amounts = self._portal_with_tax(account, [(plan, line["price_unit"]) for line in lines])
        return self.company_id.currency_id.round(sum(amounts))

    def _portal_promotions(self):
        """The promotions of this service not over yet, for its portal page."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return [
            {
                "name": application.promotion_id.name,
                "start": application.date_start,
                "end": application.date_end,
            }
            for application in self.sudo().wisp_promotion_ids
            if not application.date_end or application.date_end >= today
        ]

    def _portal_plan_values(self, plan, prices):
        return {
            "id": plan.id,
            "name": plan.name,
            "download": speed_label(plan.download_kbps),
            "upload": speed_label(plan.upload_kbps),
            "data_cap_gb": plan.data_cap_gb,
            "fup_download": speed_label(plan.fup_download_kbps) if plan.fup_download_kbps else None,
            "price": prices.get(plan.id, 0.0),
            "period": plan.wisp_period_label,
        }

    def _portal_account_summary(self, account):
        """Billing figures of the subscriber's account (sudo record)."""
        open_invoices = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", account.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", OPEN_PAYMENT_STATES),
                ],
                order="invoice_date_due, id",
            )
        )
        today = fields.Date.context_today(self)
        return {
            "balance_due": sum(open_invoices.mapped("amount_residual")),
            "open_invoices": [self._portal_invoice_values(inv, today) for inv in open_invoices],
            "next_invoice_date": account.wisp_next_billing_date,
            "wallet_balance": account.wisp_wallet_balance,
            "currency": self.env.company.currency_id,
            # said next to every plan price (see _portal_prices)
            "tax_label": self.env._("incl. tax")
            if self.env.company.wisp_portal_price_tax == "tax_included"
            else self.env._("excl. tax"),
        }

    def _portal_invoice_values(self, invoice, today):
        return {
            "id": invoice.id,
            "name": invoice.name,
            "date_due": invoice.invoice_date_due,
            "overdue": bool(invoice.invoice_date_due and invoice.invoice_date_due < today),
            "amount_residual": invoice.amount_residual,
            "url": invoice.access_url,
            # account_payment's invoice page opens its payment dialog with ?payment=; its
            # transaction route wants the invoice's access token even from its owner
            "pay_url": invoice.get_portal_url(query_string="&payment=1"),
        }

    def _portal_usage_charts(self, today):
        """``{service id: chart values}`` of the current usage cycle, from one
        grouped query for all services.

        The bars are cumulative (used so far on each day) so the data cap reads
        as a horizontal line that the bars cross when it is reached.
        """
        starts = {service.id: service._cycle_start(today) for service in self}
        daily = defaultdict(dict)
        if self:
            rows = (
                self.env["wisp.service.usage"]
                .sudo()
                ._read_group(
                    [
                        ("service_id", "in", self.ids),
                        ("date", ">=", min(starts.values())),
                        ("date", "<=", today),
                    ],
                    ["service_id", "date:day"],
                    ["total_mb:sum"],
                )
            )
            for service, group_day, total_mb in rows:
                day = fields.Date.to_date(group_day)
                if day >= starts[service.id]:
                    daily[service.id][day] = total_mb / 1000
        return {
            service.id: self._portal_chart(
                daily[service.id], starts[service.id], today, service.plan_id.data_cap_gb
            )
            for service in self
        }

    def _portal_chart(self, daily_gb, start, today, cap_gb):
        end = start + relativedelta(months=1) - timedelta(days=1)
        slots = (end - start).days + 1
        cumulative, points = 0.0, []
        day = start
        while day <= min(today, end):
            cumulative += daily_gb.get(day, 0.0)
            points.append((day, daily_gb.get(day, 0.0), cumulative))
            day += timedelta(days=1)
        top = max(cap_gb or 0.0, cumulative) * 1.1 or 1.0
        width = CHART_WIDTH / slots
        bars = []
        for index, (day, used, total) in enumerate(points):
            height = round(total / top * CHART_HEIGHT, 2)
            bars.append(
                {
                    "x": round(index * width + width * 0.1, 2),
                    "y": round(CHART_HEIGHT - height, 2),
                    "width": round(width * 0.8, 2),
                    "height": height,
                    "title": self.env._(
                        "%(day)s: %(used)s GB (total %(total)s GB)",
                        day=fields.Date.to_string(day),
                        used=f"{used:.2f}",
                        total=f"{total:.2f}",
                    ),
                    "over": bool(cap_gb and total >= cap_gb),
                }
            )
        return {
            "start": start,
            "end": end,
            "bars": bars,
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "cap_gb": cap_gb,
            "cap_y": round(CHART_HEIGHT - cap_gb / top * CHART_HEIGHT, 2) if cap_gb else None,
            "used_gb": round(cumulative, 2),
            "percent": min(round(cumulative / cap_gb * 100), 100) if cap_gb else None,
            "over_cap": bool(cap_gb and cumulative >= cap_gb),
            "warning": self._portal_cap_warning(cumulative, cap_gb),
            "used_percent": round(cumulative / cap_gb * 100) if cap_gb else None,
        }

    def _portal_usage_charges(self, account):
        """``{service id: values}`` of the usage charged past the data cap in each
        service's running cycle: its open usage period (one search for all), priced
        by the period's own method, the one the invoice line is priced by. Amounts
        as the invoice charges them (with tax, as every portal price)."""
        periods = (
            self.env["wisp.service.usage.period"]
            .sudo()
            .search([("service_id", "in", self.ids), ("state", "=", "open")])
        )
        result = {}
        for period in periods:  # newest first: a cycle that ended waits for its closing
            if period.service_id.id in result:
                continue
            plan = period.plan_id
            product = plan.overage_product_id or self.env.ref("wisp_billing.product_data_overage")
            result[period.service_id.id] = {
                "policy": plan.data_cap_policy,
                "label": plan.wisp_overage_label,
                "allowance_gb": period.allowance_mb / 1000,
                "used_gb": period.used_mb / 1000,
                "over_gb": period.over_mb / 1000,
                "quantity": period.overage_quantity,
                "amount": self._portal_with_tax(account, [(product, period.overage_amount)])[0],
                "currency": period.currency_id,
            }
        return result

    def _portal_cap_warning(self, used_gb, cap_gb):
        """``"over"`` once the cycle's usage reaches the data cap, ``"near"`` from
        ``CAP_WARNING_RATIO`` of it, else None (also without a cap)."""
        if not cap_gb:
            return None
        if used_gb >= cap_gb:
            return "over"
        if used_gb >= cap_gb * CAP_WARNING_RATIO:
            return "near"
        return None

    def _portal_dashboard_data(self, account):
        """Everything the portal shows about these services of ``account``.

        A constant number of queries whatever the number of services: one
        search or prefetch per related model, one grouped query for usage.

        :param account: the subscriber's commercial partner
        :return: dict with ``summary`` (billing figures), ``services`` (one dict
            per service), ``addresses`` (per service address: label, services,
            count, monthly total, worst status) and ``is_enterprise``
        """
        services = self.sudo()
        account = account.with_env(services.env)
        today = fields.Date.context_today(self)
        type_labels = dict(services._fields["service_type"]._description_selection(self.env))
        state_labels = dict(services._fields["state"]._description_selection(self.env))
        candidates = services._portal_candidate_plans()
        prices = services._portal_prices(
            account, services.plan_id | services.addon_ids | candidates
        )
        charts = services._portal_usage_charts(today)
        usage_charges = services._portal_usage_charges(account)
        installments = defaultdict(list)
        for installment in services.installment_ids:
            installments[installment.service_id.id].append(
                {
                    "name": installment.name,
                    "billed": installment.paid_count,
                    "count": installment.installment_count,
                    "amount": installment.amount,
                    "remaining_amount": installment.remaining_amount,
                    "percent": round(installment.paid_count / installment.installment_count * 100),
                }
            )
        # One query whether or not the addresses are cached already (the account
        # itself usually is, its branches not): the same count for every account.
        addresses = services.env["res.partner"].search_fetch(
            [("id", "in", services.address_id.ids)], ["name", "street", "street2", "zip", "city"]
        )
        labels = {a.id: services.env["wisp.billing.run"]._address_label(a) for a in addresses}
        service_values = []
        for service in services:
            plan = service.plan_id
            months = plan.product_tmpl_id._billing_period_months() if plan else 1
            own_prices = service._portal_bundle_prices(account, prices)
            price = sum(own_prices.get(p.id, 0.0) for p in plan | service.addon_ids)
            upsell = []
            if service.state == "active" and service._portal_can_change_plan():
                upsell = [
                    services._portal_plan_values(candidate, prices)
                    for candidate in candidates
                    if service._portal_plan_fits(candidate)
                    and candidate.download_kbps > plan.download_kbps
                ][:UPSELL_LIMIT]
            service_values.append(
                {
                    "id": service.id,
                    "name": service.name,
                    "url": f"/my/services/{service.id}",
                    "service_type": service.service_type,
                    "type_label": type_labels.get(service.service_type),
                    "state": service.state,
                    "state_label": state_labels.get(service.state),
                    "badge": STATE_BADGES.get(service.state, "info"),
                    "state_reason": service.state_reason,
                    "address_id": service.address_id.id,
                    "address": labels.get(service.address_id.id, ""),
                    "plan": services._portal_plan_values(plan, own_prices) if plan else None,
                    "promotions": service._portal_promotions(),
                    "promo_price": (
                        service._portal_promotion_price(account, plan) if plan else None
                    ),
                    "addons": service.addon_ids.mapped("name"),
                    "price": price,
                    "monthly": price / months,
                    "login": service.login,
                    "ip_address": service.ip_address,
                    "is_prepaid": service.is_prepaid,
                    "expiry_date": service.expiry_date,
                    "expiry_datetime": service.expiry_datetime,
                    # time bought that starts at the next login: "2 hours" etc.
                    "prepaid_waiting": (
                        duration_label(self.env, service.prepaid_pending_s)
                        if service.prepaid_pending_s and not service.expiry_datetime
                        else ""
                    ),
                    "activation_date": service.activation_date,
                    "cap_exceeded": service.cap_exceeded,
                    "scheduled_plan": service.next_plan_id.name,
                    "plan_change_date": service.plan_change_date,
                    "devices": [
                        {
                            "name": device.name,
                            "type": device.device_type,
                            "mac": device.mac_address,
                            "ip": device.ip_address,
                        }
                        for device in service.device_ids
                    ],
                    "usage": charts[service.id],
                    "overage": usage_charges.get(service.id),
                    "blocking_invoices": [
                        services._portal_invoice_values(invoice, today)
                        for invoice in service.blocking_invoice_ids
                        if invoice.payment_state in OPEN_PAYMENT_STATES
                    ],
                    "can_change_plan": service._portal_can_change_plan(),
                    "upsell": upsell,
                    "installments": installments[service.id],
                }
            )
        addresses = {}
        for values in service_values:
            group = addresses.setdefault(
                values["address_id"],
                {
                    "id": values["address_id"],
                    "label": values["address"],
                    "services": [],
                    "monthly": 0.0,
                    "worst": values,
                },
            )
            group["services"].append(values)
            group["monthly"] += values["monthly"]
            if STATE_SEVERITY.get(values["state"], 3) < STATE_SEVERITY.get(
                group["worst"]["state"], 3
            ):
                group["worst"] = values
        for group in addresses.values():
            group["count"] = len(group["services"])
            group["worst_state"] = group["worst"]["state_label"]
            group["worst_badge"] = group["worst"]["badge"]
        return {
            "summary": services._portal_account_summary(account),
            "services": service_values,
            "cap_warnings": [
                values
                for values in service_values
                if values["service_type"] == "internet"
                and values["state"] not in ("draft", "terminated")
                and values["usage"]["warning"]
            ],
            "addresses": list(addresses.values()),
            "is_enterprise": account.is_company and len(addresses) > 1,
            "monthly_total": sum(group["monthly"] for group in addresses.values()),
        }

    def _portal_invoice_lines(self, limit=10):
        """The latest posted invoice lines of this service (sudo), newest first."""
        self.ensure_one()
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("wisp_service_id", "=", self.id),
                    ("parent_state", "=", "posted"),
                    ("display_type", "=", "product"),
                    ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                ],
                order="date desc, id desc",
                limit=limit,
            )
        )
        return [
            {
                "date": line.date,
                "label": line.name,
                "invoice": line.move_id.name,
                "url": line.move_id.access_url,
                "amount": line.price_total * (-1 if line.move_id.move_type == "out_refund" else 1),
                "paid": line.move_id.payment_state not in OPEN_PAYMENT_STATES,
            }
            for line in lines
        ]
