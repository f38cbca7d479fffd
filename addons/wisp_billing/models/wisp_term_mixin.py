from odoo import fields, models

from ..tools.proration import prorate


class WispTermMixin(models.AbstractModel):
    """A minimum term and the fee for leaving before its end: on plans and bundles.

    The term runs from the service's activation for ``wisp_minimum_term_months``
    months. Leaving earlier (termination; for a bundle, also leaving the bundle)
    costs a fixed amount, or a share of the price of the days left in the term,
    prorated by the one proration rule.
    """

    _name = "wisp.term.mixin"
    _description = "WISP Minimum Term"

    wisp_minimum_term_months = fields.Integer(
        string="Minimum Term (months)",
        help="Months from activation the subscriber commits to. 0: no minimum term.",
    )
    wisp_termination_fee_type = fields.Selection(
        [
            ("none", "No fee"),
            ("fixed", "Fixed amount"),
            ("percent", "Share of the remaining term"),
        ],
        string="Early Termination Fee",
        default="none",
        required=True,
        help="Charged on the final invoice when the subscriber leaves before the end "
        "of the minimum term. Share of the remaining term: that percentage of the "
        "price of the days left, prorated cycle by cycle like every charge.",
    )
    # a Float: the mixin cannot name the currency field of each model using it
    wisp_termination_fee_amount = fields.Float(
        string="Fee Amount", digits="Product Price", help="In the company's currency."
    )
    wisp_termination_fee_percent = fields.Float(string="Fee (% of the remaining term)")

    _wisp_termination_fee_positive = models.Constraint(
        "CHECK(wisp_minimum_term_months >= 0 AND wisp_termination_fee_amount >= 0 "
        "AND wisp_termination_fee_percent >= 0 AND wisp_termination_fee_percent <= 100)",
        "A minimum term and its fee cannot be negative, nor the fee above 100%.",
    )

    def _wisp_termination_fee(self, price, months, day, term_end, billing_day):
        """Unrounded fee for leaving on ``day`` a term ending on ``term_end``, for a
        price of ``price`` per ``months`` cycles. Nothing from the day after the term."""
        self.ensure_one()
        if day > term_end or self.wisp_termination_fee_type == "none":
            return 0.0
        if self.wisp_termination_fee_type == "fixed":
            return self.wisp_termination_fee_amount
        remaining = prorate(price, months, day, term_end, billing_day)
        return remaining * self.wisp_termination_fee_percent / 100
