"""Connection requests from prospects: the public ``/connect`` form, and the
form fields and checks it shares with the reseller sign-up (``reseller.py``)."""

import re

from odoo import http
from odoo.addons.wisp_billing.models.wisp_promotion import normalize_promo_code
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import email_normalize

from .anonymous import request_client_key

PROSPECT_FIELDS = (
    "contact_name",
    "email",
    "phone",
    "street",
    "street2",
    "zip",
    "city",
    "country_id",
    "plan_id",
    "note",
)
MAX_LENGTHS = {"note": 2000}
DEFAULT_MAX_LENGTH = 120
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]+$")
MIN_PHONE_DIGITS = 6
REFERRAL_CODE_MAX = 20


def read_prospect_form(params):
    """The posted prospect fields as stripped strings (re-rendered on error)."""
    return {name: (params.get(name) or "").strip() for name in PROSPECT_FIELDS}


def prospect_form_errors(env, values, plans, plan_required=False, countries=None):
    """``{field: message}`` for every wrong field of ``values`` (empty: all good).

    ``plans`` are the plans the form offers; ``countries`` the accepted
    countries (None: the country field is not on the form).
    """
    errors = {}
    for name, label in (
        ("contact_name", env._("Name")),
        ("street", env._("Street")),
        ("city", env._("City")),
        ("phone", env._("Phone")),
        ("email", env._("E-mail")),
    ):
        if not values[name]:
            errors[name] = env._("%(field)s is required.", field=label)
    for name, value in values.items():
        limit = MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            errors[name] = env._("Keep it under %(limit)s characters.", limit=limit)
    if values["email"] and "email" not in errors and not email_normalize(values["email"]):
        errors["email"] = env._("This is not a valid e-mail address, like name@example.com.")
    if values["phone"] and "phone" not in errors:
        digits = sum(char.isdigit() for char in values["phone"])
        if not PHONE_RE.match(values["phone"]) or digits < MIN_PHONE_DIGITS:
            errors["phone"] = env._(
                "Enter a phone number of at least %(count)s digits (+, spaces, dashes allowed).",
                count=MIN_PHONE_DIGITS,
            )
    if values["plan_id"]:
        if _as_id(values["plan_id"]) not in plans.ids:
            errors["plan_id"] = env._("Choose one of the plans in the list.")
    elif plan_required:
        errors["plan_id"] = env._("Choose the plan to install.")
    country_id = values["country_id"]
    if countries is not None and country_id and _as_id(country_id) not in countries.ids:
        errors["country_id"] = env._("Choose a country in the list.")
    return errors


def read_promo_code(params):
    """The promo code typed on a sign-up form, as codes are kept (re-rendered on error)."""
    return normalize_promo_code(params.get("promo_code"))


def promo_code_check(env, code, plans, values):
    """``(promotion, error)`` of the promo ``code`` typed for the plan of ``values``.

    ``env`` is the form's superuser environment in the website's company. Checked by
    the billing model, wrong codes counting towards the visitor's redemption
    throttle; the error says what is wrong with this code only.
    """
    Promotion = env["wisp.promotion"]
    if not code:
        return Promotion, None
    plan = plans.browse(_as_id(values["plan_id"])) & plans
    try:
        return Promotion._wisp_from_code(code, plan, client_key=request_client_key()), None
    except UserError as error:  # unknown, expired, used up, other plan, throttled
        return Promotion, error.args[0]


def prospect_request_vals(values, plans):
    """Create values of a ``wisp.connection.request`` from checked form values."""
    plan = plans.browse(_as_id(values["plan_id"]))
    vals = {
        name: values[name] or False
        for name in ("contact_name", "email", "phone", "street", "street2", "zip", "city", "note")
    }
    vals["country_id"] = _as_id(values["country_id"]) or False
    vals["plan_id"] = plan.id or False
    if plan:
        vals["service_type"] = plan.service_type
    return vals


def _as_id(value):
    return int(value) if value and value.isdigit() else 0


class WispConnectionRequestForm(http.Controller):
    @http.route("/connect", type="http", auth="public", methods=["GET"], website=True, sitemap=True)
    def wisp_connect(self, plan_id=None, ref=None, promo=None, **kwargs):
        values = dict.fromkeys(PROSPECT_FIELDS, "")
        user = request.env.user
        if not user._is_public():
            # an existing subscriber asking for another place: start from its details
            partner = user.partner_id
            values.update(
                contact_name=partner.name or "",
                email=partner.email or "",
                phone=partner.phone or "",
                street=partner.street or "",
                street2=partner.street2 or "",
                zip=partner.zip or "",
                city=partner.city or "",
                country_id=str(partner.country_id.id or ""),
            )
        if not values["country_id"]:
            values["country_id"] = str(request.website.company_id.country_id.id or "")
        values["plan_id"] = plan_id or ""
        # a subscriber's share link (/connect?ref=CODE) fills in its referral code
        values["referral_code"] = (ref or "").strip()[:REFERRAL_CODE_MAX]
        # an offer's link (/connect?promo=CODE) fills in its promo code, checked on submit
        values["promo_code"] = read_promo_code({"promo_code": promo})
        return request.render("wisp_portal.connect_page", self._wisp_connect_context(values, {}))

    @http.route(
        "/connect", type="http", auth="public", methods=["POST"], website=True, sitemap=False
    )
    def wisp_connect_submit(self, **post):
        values = read_prospect_form(post)
        values["referral_code"] = (post.get("referral_code") or "").strip()
        values["promo_code"] = read_promo_code(post)
        context = self._wisp_connect_context(values, {})
        errors = prospect_form_errors(
            request.env, values, context["plans"], countries=context["countries"]
        )
        if values["referral_code"] and not self._wisp_requests()._wisp_referrer_of(
            values["referral_code"][:REFERRAL_CODE_MAX]
        ):
            errors["referral_code"] = request.env._(
                "This referral code does not exist: check it with your friend, or leave it empty."
            )
        promotion, errors["promo_code"] = promo_code_check(
            self._wisp_requests().env, values["promo_code"], context["plans"], values
        )
        errors = {name: error for name, error in errors.items() if error}
        if errors:
            context["errors"] = errors
            return request.render("wisp_portal.connect_page", context, status=400)
        vals = prospect_request_vals(values, context["plans"])
        vals["wisp_promotion_id"] = promotion.id
        vals["source"] = "website"
        vals["referral_code"] = values["referral_code"].upper() or False
        user = request.env.user
        if not user._is_public():
            # the request converts into this account instead of a new subscriber
            vals["partner_id"] = user.commercial_partner_id.id
        # sudo after validation: visitors have no access to connection requests
        connection_request = self._wisp_requests().create(vals)
        return request.render(
            "wisp_portal.connect_thanks", {"connection_request": connection_request}
        )

    def _wisp_requests(self):
        return (
            request.env["wisp.connection.request"].sudo().with_company(request.website.company_id)
        )

    def _wisp_connect_context(self, values, errors):
        plans = self._wisp_requests()._wisp_offered_plans("internet")
        return {
            "values": values,
            "errors": errors,
            "plans": plans,
            # as the first invoices will charge them (list price, its taxes)
            "plan_prices": request.env["wisp.service"]._portal_list_prices(
                request.env.user.partner_id, plans
            ),
            "countries": request.env["res.country"].sudo().search([]),
        }
