from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.proration import prorate


class WispServicePromotion(models.Model):
    """A promotion given to a service, for the days ``date_start``..``date_end``.

    Its discount rides with the plan's charge: whenever the plan of the service is
    charged or credited for some days (billing run, settlement of a mid-cycle
    event, plan-change preview), the days of that period inside this window get
    their own discount line, prorated the same way (see
    :meth:`_wisp_discount_lines`). A settlement that credits days already billed
    reverses their discount too, so no day is discounted twice.
    """

    _name = "wisp.service.promotion"
    _description = "Service Promotion"
    _order = "date_start, id"

    service_id = fields.Many2one("wisp.service", required=True, ondelete="cascade", index=True)
    promotion_id = fields.Many2one("wisp.promotion", required=True, ondelete="restrict", index=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="service_id.commercial_partner_id", store=True)
    date_start = fields.Date(
        compute="_compute_date_start",
        store=True,
        readonly=False,
        help="First day discounted: the activation of a service ordered with it, else "
        "the first day not billed yet. Days already billed are never discounted afterwards.",
    )
    date_end = fields.Date(
        compute="_compute_date_end",
        store=True,
        help="Last day discounted, after the promotion's cycles (empty: no end).",
    )

    _service_promotion_uniq = models.UniqueIndex(
        "(service_id, promotion_id)", "A service gets each promotion once."
    )

    @api.depends("service_id.activation_date")
    def _compute_date_start(self):
        for application in self:
            service = application.service_id
            if application.date_start:
                application.date_start = application.date_start
            elif service.billed_until:
                application.date_start = service.billed_until + timedelta(days=1)
            else:
                application.date_start = service.activation_date

    # not on the promotion's terms: those cannot change once it is given
    @api.depends("date_start", "promotion_id")
    def _compute_date_end(self):
        for application in self:
            application.date_end = application.promotion_id._wisp_end_date(application.date_start)

    @api.constrains("date_start", "service_id")
    def _check_not_billed(self):
        for application in self:
            billed = application.service_id.billed_until
            if application.date_start and billed and application.date_start <= billed:
                raise ValidationError(
                    self.env._(
                        "%(service)s is billed until %(date)s: a promotion starts after it.",
                        service=application.service_id.display_name,
                        date=billed,
                    )
                )

    def _wisp_check_unbilled(self, operation):
        """A promotion whose days were billed stays as it is: a later settlement gives
        back, for the days it credits, the discount those days were billed with."""
        self.check_access(operation)  # a refused role is told so first
        billed = self.filtered(
            lambda a: (
                a.date_start
                and a.service_id.billed_until
                and a.date_start <= a.service_id.billed_until
            )
        )
        if billed:
            raise UserError(
                self.env._(
                    "%(service)s was already billed with promotion %(promotion)s: it "
                    "cannot be changed or removed.",
                    service=billed[0].service_id.display_name,
                    promotion=billed[0].promotion_id.display_name,
                )
            )

    def write(self, vals):
        if {"service_id", "promotion_id", "date_start"} & set(vals):
            self._wisp_check_unbilled("write")
        return super().write(vals)

    def unlink(self):
        self._wisp_check_unbilled("unlink")
        return super().unlink()

    def _wisp_discount_lines(self, product, start, end, sign=1):
        """Discount line values (sign 1; sign -1 reverses them) of these promotions of
        one service for the charge of ``product`` on ``start``..``end``, as
        :meth:`wisp.service._wisp_charge_lines` makes it: one line per promotion
        with the days of the period inside its window, on the plan's product (its
        taxes, accounts and fiscal position are the discount's). Only plans are
        discounted; several promotions never discount more than the charge."""
        if not (self and product.is_wisp_plan):
            return []
        service = self.service_id
        service.ensure_one()
        billing_day = service.commercial_partner_id._wisp_effective_billing_day()
        currency = service.company_id.currency_id
        price = service._wisp_cycle_price(product)
        months = product.product_tmpl_id._billing_period_months()
        left = currency.round(prorate(price, months, start, end, billing_day))
        lines = []
        for application in self.filtered("date_start"):
            promotion = application.promotion_id
            if promotion.plan_ids and product not in promotion.plan_ids:
                continue
            first = max(start, application.date_start)
            last = min(end, application.date_end or end)
            if last < first:
                continue
            amount = min(
                currency.round(promotion._wisp_discount(price, months, first, last, billing_day)),
                left,
            )
            if currency.is_zero(amount):
                continue
            left -= amount
            label = promotion.name
            if sign < 0:
                label = self.env._("Reversed: %(name)s", name=label)
            lines.append(service._wisp_period_line(product, label, first, last, -sign * amount))
        return lines
