from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, MANAGER
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone
from odoo.exceptions import UserError, ValidationError

from ..tools.proration import prorate
from .wisp_service import BILLABLE_STATES

PROMO_CODE_MAX = 30


def normalize_promo_code(code):
    """A code as typed by a person: spaces around and case do not matter."""
    return (code or "").strip().upper()[:PROMO_CODE_MAX]


class WispPromotion(models.Model):
    """A discount on the plan of a service for a number of cycles (0: no end).

    A *sign-up* promotion is given when a service is ordered (by its code on the
    website or reseller sign-up form, or picked by staff on the request); a
    *loyalty* promotion is given by a daily cron to every running service that
    reached its number of months. Each application (``wisp.service.promotion``) is
    billed as its own invoice line, see :meth:`_wisp_discount`.
    """

    _name = "wisp.promotion"
    _description = "Promotion"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(
        [("signup", "Sign-up"), ("loyalty", "Loyalty")],
        required=True,
        default="signup",
        help="Sign-up: given when a service is ordered (by its code or by staff). "
        "Loyalty: given by the daily cron once a service has run for the months below.",
    )
    discount_type = fields.Selection(
        [("percent", "Percentage"), ("fixed", "Fixed Amount")],
        required=True,
        default="percent",
    )
    value = fields.Float(
        required=True,
        help="Percentage of the plan's price, or fixed amount per monthly cycle (never "
        "more than the plan's price).",
    )
    duration_cycles = fields.Integer(
        string="Cycles",
        help="How many monthly cycles the discount lasts from its first day (0: no end).",
    )
    loyalty_months = fields.Integer(
        string="After Months",
        help="Loyalty: months of service from activation before the discount starts.",
    )
    # Field groups: a promo code is a secret of the back office (never read by
    # portal users, resellers or visitors, who only type it).
    code = fields.Char(
        copy=False,
        groups=f"{BILLING},{MANAGER}",
        help="Typed on the website or reseller sign-up form (spaces and case do not matter). "
        "Empty: staff give it on the connection request.",
    )
    date_from = fields.Date(string="Valid From", help="Sign-up: first day the code is accepted.")
    date_to = fields.Date(string="Valid Until", help="Sign-up: last day the code is accepted.")
    max_uses = fields.Integer(
        string="Usage Limit", help="Sign-up: how many services may get it (0: no limit)."
    )
    plan_ids = fields.Many2many(
        "product.product",
        string="Eligible Plans",
        domain="[('is_wisp_plan', '=', True), ('is_prepaid', '=', False)]",
        help="Plans it is given on and discounts (empty: every plan).",
    )
    application_ids = fields.One2many("wisp.service.promotion", "promotion_id")
    use_count = fields.Integer(string="Uses", compute="_compute_use_count")

    _code_uniq = models.UniqueIndex(
        "(company_id, upper(code)) WHERE code IS NOT NULL",
        "Each promo code is used by one promotion of a company.",
    )

    @api.depends("application_ids")
    def _compute_use_count(self):
        counts = dict(
            self.env["wisp.service.promotion"]
            .sudo()
            ._read_group([("promotion_id", "in", self.ids)], ["promotion_id"], ["__count"])
        )
        for promotion in self:
            promotion.use_count = counts.get(promotion, 0)

    @api.constrains("discount_type", "value", "duration_cycles", "kind", "loyalty_months")
    def _check_values(self):
        for promotion in self:
            if promotion.value <= 0 or (
                promotion.discount_type == "percent" and promotion.value > 100
            ):
                raise ValidationError(
                    self.env._(
                        "The discount of %(name)s must be above 0 (and at most 100%%).",
                        name=promotion.name,
                    )
                )
            if promotion.duration_cycles < 0:
                raise ValidationError(self.env._("The number of cycles cannot be negative."))
            if promotion.kind == "loyalty" and promotion.loyalty_months <= 0:
                raise ValidationError(
                    self.env._("A loyalty promotion starts after at least one month.")
                )

    @api.onchange("code")
    def _onchange_code(self):
        for promotion in self.filtered("code"):
            promotion.code = normalize_promo_code(promotion.code)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("code"):
                vals["code"] = normalize_promo_code(vals["code"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("code"):
            vals["code"] = normalize_promo_code(vals["code"])
        # billed days are credited with the terms they were discounted with
        terms = {"discount_type", "value", "duration_cycles"} & set(vals)
        if terms:
            self.check_access("write")  # a refused role is told so, not about the terms
        if terms and self.sudo().application_ids:
            raise UserError(
                self.env._(
                    "A promotion already given keeps its terms: archive it and create another one."
                )
            )
        return super().write(vals)

    # -------------------------------------------------------------------------
    # The discount
    # -------------------------------------------------------------------------
    def _wisp_discount(self, price, months, start, end, billing_day):
        """Unrounded discount, as a positive amount, of the days ``start``..``end``
        of a plan priced ``price`` per ``months`` cycles: the same proration as
        the plan's charge (a percentage of it, or the fixed amount per cycle
        prorated alike, never more than the charge)."""
        self.ensure_one()
        charge = prorate(price, months, start, end, billing_day)
        if self.discount_type == "percent":
            return charge * self.value / 100
        return min(prorate(self.value, 1, start, end, billing_day), charge)

    def _wisp_end_date(self, start):
        """Last day discounted when the discount starts on ``start`` (False: no end)."""
        self.ensure_one()
        if not (start and self.duration_cycles):
            return False
        return start + relativedelta(months=self.duration_cycles, days=-1)

    # -------------------------------------------------------------------------
    # Sign-up codes
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_from_code(self, code, plan, client_key=None):
        """The sign-up promotion of ``code`` for a service on ``plan``, checked.

        Wrong codes count with wrong voucher and gift card codes towards the
        client's throttle (``wisp.voucher.attempt``): guessing codes is as slow as
        guessing vouchers. Raises ``UserError`` saying what is wrong (the message
        names no other code nor who used it).
        """
        Attempt = self.env["wisp.voucher.attempt"]
        Attempt._check_throttle(client_key, code)
        normalized = normalize_promo_code(code)
        promotion = self.sudo().search(
            [
                ("code", "=", normalized),
                ("kind", "=", "signup"),
                ("company_id", "=", self.env.company.id),
            ],
            limit=1,
        )
        if not normalized or not promotion:
            Attempt._log(client_key, normalized, "unknown")
            raise UserError(self.env._("This promo code does not exist: check it and try again."))
        error = promotion._wisp_signup_error(plan)
        if error:
            Attempt._log(client_key, normalized, "refused")
            raise UserError(error)
        return promotion.with_env(self.env)

    def _wisp_signup_error(self, plan):
        """Why this sign-up promotion cannot be given now on ``plan`` (None: it can)."""
        self.ensure_one()
        promotion = self.sudo()
        today = fields.Date.context_today(self)
        if promotion.date_from and today < promotion.date_from:
            return self.env._("This promo code is not valid yet.")
        if promotion.date_to and today > promotion.date_to:
            return self.env._("This promo code has expired.")
        if promotion.max_uses and promotion.use_count >= promotion.max_uses:
            return self.env._("This promo code has been used up.")
        if promotion.plan_ids and plan not in promotion.plan_ids:
            return self.env._(
                "This promo code is not valid for the plan %(plan)s: it is for %(plans)s.",
                plan=plan.display_name or self.env._("(no plan chosen)"),
                plans=", ".join(promotion.plan_ids.mapped("display_name")),
            )
        return None

    def _wisp_give_signup(self, service):
        """Give this sign-up promotion to ``service`` (a connection request becoming a
        service): checked again under a lock on the promotion, so the usage limit holds
        when two requests are converted at once. Returns the error, or None."""
        self.ensure_one()
        # waits for the other conversion, where lock_for_update() would fail at once
        self.env.cr.execute("SELECT id FROM wisp_promotion WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_recordset(["use_count"])
        error = self.with_company(service.company_id)._wisp_signup_error(service.plan_id)
        if error:
            return error
        self.env["wisp.service.promotion"].sudo().create(
            {"service_id": service.id, "promotion_id": self.id}
        )
        return None

    # -------------------------------------------------------------------------
    # Loyalty
    # -------------------------------------------------------------------------
    @api.model
    def _cron_apply_loyalty(self):
        """Daily: give each loyalty promotion to the running services of its company
        that reached its months, each service on its own. Idempotent: a service gets
        each loyalty promotion once."""
        today = fields.Date.context_today(self)
        for promotion in self.sudo().search([("kind", "=", "loyalty")]):
            services = (
                self.env["wisp.service"]
                .sudo()
                .search(
                    [
                        ("company_id", "=", promotion.company_id.id),
                        ("state", "in", BILLABLE_STATES),
                        ("wisp_voucher_funded", "=", False),
                        (
                            "activation_date",
                            "<=",
                            today - relativedelta(months=promotion.loyalty_months),
                        ),
                        ("id", "not in", promotion.application_ids.service_id.ids),
                    ]
                )
            )
            if promotion.plan_ids:
                services = services.filtered(lambda s, p=promotion: s.plan_id in p.plan_ids)
            each_alone(
                services,
                promotion._wisp_give_loyalty,
                self.env._("Loyalty promotion failed"),
            )

    def _wisp_give_loyalty(self, service):
        """From the anniversary, or from the first day not billed yet when the
        anniversary is already billed (in advance): billed days are never revisited."""
        self.ensure_one()
        start = service.activation_date + relativedelta(months=self.loyalty_months)
        if service.billed_until:
            start = max(start, service.billed_until + relativedelta(days=1))
        self.env["wisp.service.promotion"].sudo().create(
            {"service_id": service.id, "promotion_id": self.id, "date_start": start}
        )
