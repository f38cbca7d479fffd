import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_round

from ..tools.durations import duration_label

SERVICE_TYPES = [("internet", "Internet"), ("iptv", "IPTV"), ("voip", "VoIP")]

BILLING_PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}
DURATION_UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]
DURATION_UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
# What happens when a cycle's usage passes the plan's data cap (see data_cap_policy).
DATA_CAP_POLICIES = [
    ("throttle", "Fair-use speed"),
    ("overage", "Charge per GB"),
    ("overage_then_throttle", "Charge per GB, then fair-use speed"),
    ("next_tier", "Charge the next tier"),
]
CHARGING_POLICIES = ("overage", "overage_then_throttle", "next_tier")
OVERAGE_ROUNDINGS = [
    ("started_gb", "Per started GB"),
    ("prorated", "Prorated"),
]
MB_PER_GB = 1000  # usage is counted in MB of 10^6 bytes, caps in GB of 10^9


class ProductTemplate(models.Model):
    """A WISP plan (or add-on) is a product, so taxes, pricelists and accounting
    apply to it as to anything else the company sells."""

    _inherit = "product.template"

    is_wisp_plan = fields.Boolean(string="Is a Service Plan")
    is_wisp_addon = fields.Boolean(
        string="Is a Service Add-on",
        help="Extra billed on top of a plan (static IP, extra TV package...).",
    )
    service_type = fields.Selection(SERVICE_TYPES, default="internet")
    download_kbps = fields.Integer(string="Download (kbit/s)")
    upload_kbps = fields.Integer(string="Upload (kbit/s)")
    burst_download_kbps = fields.Integer(string="Burst Download (kbit/s)", help="0 means no burst.")
    burst_upload_kbps = fields.Integer(string="Burst Upload (kbit/s)")
    burst_threshold_pct = fields.Integer(
        string="Burst Threshold (%)",
        default=75,
        help="Burst is allowed while the average rate stays below this share of the base rate.",
    )
    burst_time_s = fields.Integer(string="Burst Time (s)", default=8)
    data_cap_gb = fields.Integer(
        string="Data Cap (GB)", help="Per billing cycle; 0 means unlimited."
    )
    fup_download_kbps = fields.Integer(
        string="Fair-use Download (kbit/s)",
        help="Speed applied once the data cap is crossed, until the next cycle.",
    )
    fup_upload_kbps = fields.Integer(string="Fair-use Upload (kbit/s)")
    # Usage charges (overage): what passing the cap costs instead of, or before,
    # the fair-use speed. The usage ledger (wisp.service.usage.period) applies it.
    data_cap_policy = fields.Selection(
        DATA_CAP_POLICIES,
        string="At the Data Cap",
        default="throttle",
        required=True,
        help="Fair-use speed: the speed drops until the next cycle. Charge per GB: the "
        "data used past the cap is charged on the next invoice, at full speed. Charge per "
        "GB, then fair-use speed: charged up to the maximum below, then the speed drops. "
        "Charge the next tier: a cycle past the cap costs the next tier plan's price "
        "(the difference is charged) and the next tier's cap applies.",
    )
    overage_price_per_gb = fields.Float(
        string="Price per GB",
        digits="Product Price",
        help="Price of each GB past the data cap, before tax, in the company currency.",
    )
    overage_rounding = fields.Selection(
        OVERAGE_ROUNDINGS,
        default="started_gb",
        help="Per started GB: one MB past the cap is charged as one GB. Prorated: the "
        "GB past the cap, rounded up to the invoice quantity's precision (0.01 GB: 10 MB).",
    )
    overage_max_gb = fields.Integer(
        string="Charged up to (GB)",
        help="With 'Charge per GB, then fair-use speed': the GB past the cap that are "
        "charged; past them the speed drops and nothing more is charged.",
    )
    overage_next_plan_id = fields.Many2one(
        "product.template",
        string="Next Tier",
        domain="[('is_wisp_plan', '=', True), ('id', '!=', id)]",
        help="With 'Charge the next tier': the bigger plan whose price a cycle past the "
        "cap costs (this plan's price is already billed: the difference is charged).",
    )
    overage_product_id = fields.Many2one(
        "product.product",
        domain="[('is_wisp_plan', '=', False), ('is_wisp_addon', '=', False)]",
        help="The product of the invoice line (its taxes and income account); empty: "
        "the suite's 'Data overage' product.",
    )
    billing_period = fields.Selection(
        [
            ("monthly", "Monthly"),
            ("quarterly", "Quarterly"),
            ("semiannual", "Every 6 months"),
            ("yearly", "Yearly"),
        ],
        default="monthly",
    )
    is_prepaid = fields.Boolean(
        string="Prepaid", help="Paid in advance for a fixed duration, then it expires."
    )
    # A pass of N minutes, hours or days (a day is 24 hours, not "until tomorrow night").
    prepaid_duration = fields.Integer(
        help="How long a prepaid pass lasts, in the unit next to it: 24 hours from the "
        "start for a 1-day pass.",
    )
    prepaid_duration_unit = fields.Selection(DURATION_UNITS, default="days")
    prepaid_start = fields.Selection(
        [("first_login", "At first login"), ("activation", "At activation")],
        string="Prepaid Time Starts",
        default="first_login",
        help="At first login: a pass bought or redeemed now starts counting when the "
        "subscriber first connects (seen by the router). At activation: it counts from "
        "the moment the service is activated.",
    )
    # CPE models: devices installed from stock. The sales price is the device's set
    # price: what a sold one costs (in installments) and what a lost one is invoiced.
    is_wisp_cpe = fields.Boolean(
        string="Is a CPE Model",
        help="Customer premises equipment installed by the installation orders: a "
        "storable product tracked by serial number.",
    )
    wisp_cpe_rental_product_id = fields.Many2one(
        "product.product",
        string="Monthly Rental Fee",
        domain=[("is_wisp_addon", "=", True)],
        help="Add-on billed with the service while a rented device of this model is at "
        "the subscriber's.",
    )
    wisp_cpe_installment_count = fields.Integer(
        string="Sale Installments",
        default=12,
        help="A device sold to the subscriber is paid in this many equal installments of "
        "its sales price, with the service bills.",
    )
    # what staff and subscribers read: a prepaid plan lasts days whatever its billing
    # period says, and a cap of 0 is no cap
    wisp_period_label = fields.Char(string="Period", compute="_compute_wisp_labels")
    wisp_data_cap_label = fields.Char(string="Data Cap", compute="_compute_wisp_labels")
    wisp_overage_label = fields.Char(
        string="Past the Cap",
        compute="_compute_wisp_overage_label",
        help="What the subscriber reads about usage past the data cap.",
    )

    @api.constrains("is_wisp_cpe", "is_storable", "tracking", "wisp_cpe_installment_count")
    def _check_wisp_cpe(self):
        for product in self.filtered("is_wisp_cpe"):
            if not product.is_storable or product.tracking != "serial":
                raise ValidationError(
                    self.env._(
                        "CPE model %(product)s must track inventory by serial number.",
                        product=product.display_name,
                    )
                )
            if product.wisp_cpe_installment_count < 1:
                raise ValidationError(self.env._("A device is sold in one installment or more."))

    @api.depends_context("lang")
    @api.depends(
        "billing_period", "is_prepaid", "prepaid_duration", "prepaid_duration_unit", "data_cap_gb"
    )
    def _compute_wisp_labels(self):
        periods = dict(self._fields["billing_period"]._description_selection(self.env))
        for product in self:
            if product.is_prepaid:
                product.wisp_period_label = product._wisp_prepaid_duration_label()
            else:
                product.wisp_period_label = periods.get(product.billing_period or "monthly")
            product.wisp_data_cap_label = (
                self.env._("%s GB", product.data_cap_gb)
                if product.data_cap_gb
                else self.env._("Unlimited")
            )

    @api.depends_context("lang", "company")
    @api.depends(
        "data_cap_gb",
        "data_cap_policy",
        "overage_price_per_gb",
        "overage_max_gb",
        "overage_next_plan_id.name",
    )
    def _compute_wisp_overage_label(self):
        currency = self.env.company.currency_id
        for product in self:
            policy = product.data_cap_policy
            if not product.data_cap_gb or policy not in CHARGING_POLICIES:
                product.wisp_overage_label = ""
            elif policy == "next_tier":
                product.wisp_overage_label = self.env._(
                    "this cycle is charged at the price of %(plan)s (%(difference)s more)",
                    plan=product.overage_next_plan_id.name,
                    difference=currency.format(product._wisp_next_tier_difference()),
                )
            else:
                label = self.env._(
                    "each GB past it is charged %(price)s",
                    price=currency.format(product.overage_price_per_gb),
                )
                if policy == "overage_then_throttle":
                    label = self.env._(
                        "%(label)s, up to %(max)s GB; then the speed drops",
                        label=label,
                        max=product.overage_max_gb,
                    )
                product.wisp_overage_label = label

    @api.onchange("is_wisp_plan", "is_wisp_addon")
    def _onchange_wisp_kind(self):
        if self.is_wisp_plan or self.is_wisp_addon:
            self.type = "service"

    @api.constrains(
        "is_wisp_plan",
        "is_wisp_addon",
        "service_type",
        "download_kbps",
        "upload_kbps",
        "burst_download_kbps",
        "burst_upload_kbps",
        "burst_threshold_pct",
        "burst_time_s",
        "data_cap_gb",
        "fup_download_kbps",
        "fup_upload_kbps",
        "is_prepaid",
        "prepaid_duration",
        "prepaid_duration_unit",
        "data_cap_policy",
        "overage_price_per_gb",
        "overage_max_gb",
        "overage_next_plan_id",
    )
    def _check_wisp_plan(self):
        for plan in self.filtered(lambda p: p.is_wisp_plan or p.is_wisp_addon):
            errors = plan._wisp_plan_errors()
            if errors:
                raise ValidationError(
                    self.env._(
                        "Plan %(plan)s: %(errors)s", plan=plan.display_name, errors=" ".join(errors)
                    )
                )

    def _wisp_plan_errors(self):
        self.ensure_one()
        errors = []
        if self.is_wisp_plan and self.is_wisp_addon:
            errors.append(self.env._("A product is either a plan or an add-on, not both."))
        numbers = (
            self.download_kbps,
            self.upload_kbps,
            self.burst_download_kbps,
            self.burst_upload_kbps,
            self.burst_time_s,
            self.data_cap_gb,
            self.fup_download_kbps,
            self.fup_upload_kbps,
            self.prepaid_duration,
        )
        if any(n < 0 for n in numbers):
            errors.append(
                self.env._("Speeds, data cap, burst time and duration cannot be negative.")
            )
        if not 0 < self.burst_threshold_pct <= 100:
            errors.append(self.env._("The burst threshold is a percentage between 1 and 100."))
        if (
            self.is_wisp_plan
            and self.service_type == "internet"
            and not (self.download_kbps > 0 and self.upload_kbps > 0)
        ):
            errors.append(self.env._("An internet plan needs a download and an upload speed."))
        if self.burst_download_kbps and self.burst_download_kbps < self.download_kbps:
            errors.append(self.env._("The burst download speed is below the download speed."))
        if self.burst_upload_kbps and self.burst_upload_kbps < self.upload_kbps:
            errors.append(self.env._("The burst upload speed is below the upload speed."))
        if self.fup_download_kbps > self.download_kbps or self.fup_upload_kbps > self.upload_kbps:
            errors.append(self.env._("The fair-use speed cannot exceed the plan's speed."))
        # a plan that only charges past its cap never slows down
        throttles = self.data_cap_gb and self._wisp_throttle_mb() is not None
        if throttles and not (self.fup_download_kbps and self.fup_upload_kbps):
            errors.append(self.env._("A plan with a data cap needs a fair-use speed."))
        errors += self._wisp_overage_errors()
        if self.is_prepaid and self.prepaid_duration <= 0:
            errors.append(
                self.env._(
                    "A prepaid plan needs a duration above zero (in minutes, hours or days)."
                )
            )
        return errors

    def _wisp_overage_errors(self):
        """What is wrong with the plan's usage charges (empty without a cap or a charge)."""
        policy = self.data_cap_policy
        if not (self.is_wisp_plan and self.data_cap_gb) or policy not in CHARGING_POLICIES:
            return []
        errors = []
        if self.is_prepaid:
            errors.append(self.env._("A prepaid plan cannot charge usage past its cap."))
        if policy in ("overage", "overage_then_throttle") and self.overage_price_per_gb <= 0:
            errors.append(self.env._("A plan that charges per GB needs a price per GB."))
        if policy == "overage_then_throttle" and self.overage_max_gb <= 0:
            errors.append(self.env._("Say up to how many GB past the cap are charged."))
        if policy == "next_tier":
            tier = self.overage_next_plan_id
            if not tier or tier == self or tier.is_prepaid:
                errors.append(self.env._("Choose the next tier: another recurring plan."))
            elif tier.data_cap_gb and tier.data_cap_gb <= self.data_cap_gb:
                errors.append(self.env._("The next tier needs a bigger data cap (or none)."))
            elif self._wisp_next_tier_difference() <= 0:
                errors.append(self.env._("The next tier must cost more per month."))
        if self.overage_price_per_gb < 0 or self.overage_max_gb < 0:
            errors.append(self.env._("Overage price and maximum cannot be negative."))
        return errors

    # -------------------------------------------------------------------------
    # Usage charges: the one place their rules are written (billing and the
    # portal both go through wisp.service.usage.period, which calls these)
    # -------------------------------------------------------------------------
    def _wisp_charges_overage(self):
        self.ensure_one()
        return bool(self.data_cap_gb) and self.data_cap_policy in CHARGING_POLICIES

    def _wisp_throttle_mb(self):
        """Cycle usage (MB) from which the fair-use speed applies; None: never."""
        self.ensure_one()
        if not self.data_cap_gb:
            return None
        cap_mb = self.data_cap_gb * MB_PER_GB
        policy = self.data_cap_policy
        if policy == "overage":
            return None
        if policy == "overage_then_throttle":
            return cap_mb + self.overage_max_gb * MB_PER_GB
        if policy == "next_tier":
            tier_cap = self.overage_next_plan_id.data_cap_gb
            return tier_cap * MB_PER_GB if tier_cap else None
        return cap_mb

    def _wisp_next_tier_difference(self):
        """Monthly price of the next tier minus this plan's (list prices, before tax):
        what a cycle past the cap costs on top of the plan already billed."""
        self.ensure_one()
        tier = self.overage_next_plan_id
        if not tier:
            return 0.0
        monthly = tier.list_price / tier._billing_period_months()
        return self.env.company.currency_id.round(
            monthly - self.list_price / self._billing_period_months()
        )

    def _wisp_overage_charge(self, over_mb):
        """``(quantity, price per unit)`` charged for ``over_mb`` MB past the cap in
        one cycle, by this plan's policy; ``(0, 0)`` when nothing is due.

        Exactly at the cap nothing is charged. Per started GB, 1 MB over is 1 GB;
        prorated, the GB over are rounded up to the invoice quantity's precision
        (``Product Unit``: 0.01 GB), so 1 MB over is 0.01 GB. Past the maximum of
        'then fair-use speed' nothing more is charged. The next tier is one charge
        (quantity 1) of the price difference, whatever the GB over.
        """
        self.ensure_one()
        if over_mb <= 0 or not self._wisp_charges_overage():
            return 0.0, 0.0
        if self.data_cap_policy == "next_tier":
            return 1.0, self._wisp_next_tier_difference()
        over_gb = over_mb / MB_PER_GB
        if self.data_cap_policy == "overage_then_throttle":
            over_gb = min(over_gb, self.overage_max_gb)
        if self.overage_rounding == "prorated":
            digits = self.env["decimal.precision"].precision_get("Product Unit")
            quantity = float_round(over_gb, precision_digits=digits, rounding_method="UP")
        else:
            quantity = float(math.ceil(float_round(over_gb, precision_digits=6)))
        return quantity, self.overage_price_per_gb

    def _wisp_prepaid_seconds(self):
        """Length of one pass of this prepaid plan, in seconds (0 when not prepaid)."""
        self.ensure_one()
        if not self.is_prepaid:
            return 0
        return self.prepaid_duration * DURATION_UNIT_SECONDS[self.prepaid_duration_unit or "days"]

    def _wisp_prepaid_duration_label(self):
        """``30 minutes``, ``1 hour``, ``2 days``: a pass's length as people say it."""
        self.ensure_one()
        return duration_label(self.env, self._wisp_prepaid_seconds())

    def _billing_period_months(self):
        self.ensure_one()
        return BILLING_PERIOD_MONTHS[self.billing_period or "monthly"]
