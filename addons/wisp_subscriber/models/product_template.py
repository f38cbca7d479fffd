from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.durations import duration_label

SERVICE_TYPES = [("internet", "Internet"), ("iptv", "IPTV"), ("voip", "VoIP")]

BILLING_PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}
DURATION_UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]
DURATION_UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


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
        if self.data_cap_gb and not (self.fup_download_kbps and self.fup_upload_kbps):
            errors.append(self.env._("A plan with a data cap needs a fair-use speed."))
        if self.is_prepaid and self.prepaid_duration <= 0:
            errors.append(
                self.env._(
                    "A prepaid plan needs a duration above zero (in minutes, hours or days)."
                )
            )
        return errors

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
