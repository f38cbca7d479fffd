from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.models.wisp_service import SERVICE_STATES
from odoo.addons.wisp_subscriber.tools.access import MANAGER, check_groups
from odoo.fields import Domain

# The offer link a campaign carries: the portal opens the plan change page of the
# subscriber's service that may take the plan, with the plan preselected.
OFFER_ROUTE = "/my/plan-offer"
# the fields a segment's filter is made of
CONDITIONS = (
    "company_id",
    "subscriber_state",
    "plan_ids",
    "site_ids",
    "prepaid_expiry_days",
    "cap_usage_percent",
    "overdue",
    "no_autopay",
    "min_referrals",
)


class WispSegment(models.Model):
    """A named group of subscribers for campaigns, from WISP facts (plan, site,
    status, prepaid expiry, data cap used, overdue, autopay, referrals).

    Its domain on ``res.partner`` is what a ``mailing.mailing`` (e-mail or SMS)
    sends to; the mailing reads it again when it sends, so a scheduled campaign
    reaches whoever fits the segment on that day. The facts are search methods of
    the addons that own them, which filter in SQL.
    """

    _name = "wisp.segment"
    _description = "Subscriber Segment"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="Subscribers with a service of this company.",
    )
    description = fields.Text(help="Who this segment is for and why.")
    subscriber_state = fields.Selection(
        SERVICE_STATES,
        string="Status",
        help="The subscriber's status (its most pressing service's). Empty: any status "
        "but terminated.",
    )
    plan_ids = fields.Many2many(
        "product.product",
        string="Plans",
        domain="[('is_wisp_plan', '=', True)]",
        help="Subscribers with a service on one of these plans.",
    )
    site_ids = fields.Many2many(
        "wisp.site",
        string="Sites",
        check_company=True,
        help="Subscribers with a service served by one of these sites.",
    )
    prepaid_expiry_days = fields.Integer(
        string="Prepaid Expiring Within (days)",
        help="Subscribers whose running prepaid time ends within this many days. 0: not used.",
    )
    cap_usage_percent = fields.Integer(
        string="Data Cap Used At Least (%)",
        help="Subscribers with a capped service that used at least this share of its "
        "data cap in the current cycle. 0: not used.",
    )
    overdue = fields.Boolean(help="Only subscribers with an invoice past its due date.")
    no_autopay = fields.Boolean(
        string="Without Autopay", help="Only subscribers who do not pay by autopay."
    )
    min_referrals = fields.Integer(
        string="Referred At Least",
        help="Subscribers who brought at least this many new accounts with their "
        "referral code. 0: not used.",
    )
    offer_plan_id = fields.Many2one(
        "product.product",
        string="Offered Plan",
        domain="[('is_wisp_plan', '=', True)]",
        check_company=True,
        help="Upsell campaigns: the plan the offer link preselects on the portal's plan "
        "change page (a subscriber whose services may not take it lands on its services).",
    )
    offer_url = fields.Char(
        string="Offer Link",
        compute="_compute_offer_url",
        help="Put this link in the campaign's text or button.",
    )
    mailing_domain = fields.Char(
        string="Recipients Filter",
        compute="_compute_mailing_domain",
        help="The filter on contacts the segment's campaigns send to.",
    )
    subscriber_count = fields.Integer(string="Subscribers", compute="_compute_subscriber_count")
    mailing_ids = fields.One2many("mailing.mailing", "wisp_segment_id", string="Campaigns")
    mailing_count = fields.Integer(string="Campaign Count", compute="_compute_mailing_count")

    _check_thresholds = models.Constraint(
        "CHECK(prepaid_expiry_days >= 0 AND cap_usage_percent >= 0 AND min_referrals >= 0)",
        "Segment thresholds cannot be negative.",
    )

    def _wisp_domain(self):
        """The segment's filter on ``res.partner``: accounts of its company's
        subscribers that meet each condition set."""
        self.ensure_one()
        domain = Domain("service_ids.company_id", "=", self.company_id.id)
        if self.subscriber_state:
            domain &= Domain("subscriber_state", "=", self.subscriber_state)
        else:
            domain &= Domain("subscriber_state", "not in", [False, "terminated"])
        if self.plan_ids:
            domain &= Domain("wisp_plan_ids", "in", self.plan_ids.ids)
        if self.site_ids:
            domain &= Domain("wisp_site_ids", "in", self.site_ids.ids)
        if self.prepaid_expiry_days:
            domain &= Domain("wisp_prepaid_expiry_days", "<=", self.prepaid_expiry_days)
        if self.cap_usage_percent:
            domain &= Domain("wisp_cap_usage_percent", ">=", self.cap_usage_percent)
        if self.overdue:
            domain &= Domain("wisp_overdue", ">", 0)
        if self.no_autopay:
            domain &= Domain("wisp_autopay", "=", False)
        if self.min_referrals:
            domain &= Domain("wisp_referral_count", ">=", self.min_referrals)
        return domain

    @api.depends(*CONDITIONS)
    def _compute_mailing_domain(self):
        for segment in self:
            segment.mailing_domain = repr(list(segment._wisp_domain()))

    @api.depends(*CONDITIONS)
    def _compute_subscriber_count(self):
        Partner = self.env["res.partner"]
        for segment in self:
            segment.subscriber_count = Partner.with_company(segment.company_id).search_count(
                segment._wisp_domain()
            )

    @api.depends("offer_plan_id")
    def _compute_offer_url(self):
        for segment in self:
            segment.offer_url = (
                f"{segment.get_base_url()}{OFFER_ROUTE}?"
                + urlencode({"plan_id": segment.offer_plan_id.id})
                if segment.offer_plan_id
                else False
            )

    def _compute_mailing_count(self):
        counts = dict(
            self.env["mailing.mailing"]._read_group(
                [("wisp_segment_id", "in", self.ids)], ["wisp_segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.mailing_count = counts.get(segment, 0)

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------
    def _wisp_check_manager(self):
        check_groups(self.env, (MANAGER,))
        self.check_access("read")
        self.ensure_one()

    def action_view_subscribers(self):
        self._wisp_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": list(self._wisp_domain()),
        }

    def _wisp_new_campaign(self, mailing_type):
        self._wisp_check_manager()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing_sms.mailing_mailing_action_sms"
            if mailing_type == "sms"
            else "mass_mailing.mailing_mailing_action_mail"
        )
        action.update(
            views=[(False, "form")],
            view_mode="form",
            context={
                "default_mailing_type": mailing_type,
                "default_wisp_segment_id": self.id,
                "default_mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            },
        )
        return action

    def action_new_mailing(self):
        return self._wisp_new_campaign("mail")

    def action_new_sms(self):
        return self._wisp_new_campaign("sms")

    def action_view_mailings(self):
        self._wisp_check_manager()
        return self.mailing_ids._get_records_action(name=self.env._("Campaigns"))
