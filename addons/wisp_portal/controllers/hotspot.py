"""Prepaid access on the website: the hotspot login page (redeem an access code, buy one by
card), registration of anonymous hotspot accounts, and the subscriber's access codes page.

The hotspot page is reached through the router's walled garden: MikroTik's hotspot sends the
client here with ``link-login-only`` (the router's login URL), ``dst``, ``mac`` and ``ip``;
``site`` (a ``wisp.site`` code, set in the router's ``login.html``) says which router serves
the new hotspot account. These parameters are kept in the session, so that buying a code and
coming back still ends with the one-click login form to the router.

Anonymous visitors are told apart by :func:`anonymous.request_client_key` (the address our
trusted proxies forwarded, IPv6 by /64): wrong codes are throttled per client (the lock of
:func:`redeem_code` makes the count exact under concurrency), and so are unpaid checkouts
(``wisp.voucher.purchase._wisp_checkout``). The one-click login posts the new hotspot
credentials to ``link-login-only`` only when it is the hotspot login page of one of our routers
(``wisp.router.wisp_hotspot_hosts``); otherwise the credentials are only shown.
"""

from werkzeug.exceptions import NotFound

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.wisp_billing.models.wisp_voucher_attempt import VoucherThrottled
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request, route
from odoo.tools.mail import single_email_re

from ..models.wisp_voucher_purchase import CheckoutLimitError
from .anonymous import (
    check_transaction_kwargs,
    mask_email,
    payer,
    payment_form_values,
    request_client_key,
)

SESSION_HOTSPOT = "wisp_hotspot"
# the hotspot account made by the last anonymous redemption of this browser: the only
# account /hotspot/register may update (never a partner id sent by the form)
SESSION_ACCOUNT = "wisp_hotspot_partner_id"
# the checkout this browser left open: sent again (double click, back button), it is reused
SESSION_PURCHASE = "wisp_open_purchase_id"
ROUTER_PARAMS = {"link-login-only": "link_login_only", "dst": "dst", "site": "site"}
REGISTER_FIELDS = ("name", "email", "phone", "street", "city", "zip")


def redeem_code(env, code, client_key, partner=None, service=None):
    """Redeem ``code`` for ``client_key``; returns (result, error, status): 429 when the
    client is throttled (the model counts one client's attempts under a lock)."""
    try:
        result = (
            env["wisp.voucher"]
            .sudo()
            ._redeem(code, partner=partner, service=service, client_key=client_key)
        )
    except VoucherThrottled as error:
        return None, error.args[0], 429
    except UserError as error:
        return None, error.args[0], 400
    return result, None, 200


class WispHotspot(PaymentPortal):
    # -------------------------------------------------------------------------
    # Helpers
    # -------------------------------------------------------------------------
    def _wisp_hotspot_params(self, params):
        """The router's hotspot parameters from ``params`` (query string or form, under the
        MikroTik or the form's names), falling back to those kept in the session."""
        kept = dict(request.session.get(SESSION_HOTSPOT) or {})
        for name, key in ROUTER_PARAMS.items():
            value = (params.get(name) or params.get(key) or "").strip()
            if value:
                kept[key] = value
        # credentials are only ever posted to the hotspot login page of one of our routers
        if not request.env["wisp.router"]._wisp_is_hotspot_login_url(
            kept.get("link_login_only"), kept.get("site"), request.website.company_id
        ):
            kept.pop("link_login_only", None)
        if kept != request.session.get(SESSION_HOTSPOT):
            request.session[SESSION_HOTSPOT] = kept
        return kept

    def _wisp_online_plans(self):
        return request.env["wisp.voucher.purchase"]._wisp_online_plans(request.website.company_id)

    def _wisp_plan_prices(self, plans):
        """What the purchase's invoice charges for each plan (list price, its taxes)."""
        return request.env["wisp.service"]._portal_list_prices(request.env.user.partner_id, plans)

    def _wisp_render_hotspot(self, values, status=200):
        user = request.env.user
        plans = self._wisp_online_plans()
        return request.render(
            "wisp_portal.hotspot_page",
            {
                "hotspot": self._wisp_hotspot_params({}),
                "plans": plans,
                "plan_prices": self._wisp_plan_prices(plans),
                "logged_in": not user._is_public(),
                "code": "",
                "error": None,
                **values,
            },
            status=status,
        )

    def _wisp_redeem(self, code, partner=None, service=None, site_code=None):
        """Redeem ``code``; returns (result, error, status).

        No savepoint is needed around it: ``_redeem`` checks everything before writing (its
        attempt log commits on its own cursor), except that a reseller's consigned card is
        recorded as sold once a customer types it in, which it is.
        """
        result, error, status = redeem_code(
            request.env, code, request_client_key(), partner=partner, service=service
        )
        if result:
            result["service"].sudo()._place_on_hotspot_router(site_code)
        return result, error, status

    def _wisp_render_secret(self, template, values):
        """A page showing a code or a password: kept out of browser and proxy caches."""
        response = request.render(template, values)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _wisp_purchase_check_access(self, purchase_id, access_token):
        try:
            return self._document_check_access("wisp.voucher.purchase", purchase_id, access_token)
        except (AccessError, MissingError):
            raise NotFound() from None

    # -------------------------------------------------------------------------
    # Hotspot login page: redeem a code
    # -------------------------------------------------------------------------
    @route("/hotspot", type="http", auth="public", website=True, sitemap=False, methods=["GET"])
    def hotspot(self, code="", **kwargs):
        self._wisp_hotspot_params(kwargs)
        return self._wisp_render_hotspot({"code": code.strip()})

    @route(
        "/hotspot/redeem", type="http", auth="public", website=True, sitemap=False, methods=["POST"]
    )
    def hotspot_redeem(self, code="", **kwargs):
        hotspot = self._wisp_hotspot_params(kwargs)
        user = request.env.user
        partner = None if user._is_public() else user.partner_id
        result, error, status = self._wisp_redeem(
            code, partner=partner, site_code=hotspot.get("site")
        )
        if error:
            return self._wisp_render_hotspot({"code": code, "error": error}, status=status)
        service = result["service"].sudo()
        if not partner:
            request.session[SESSION_ACCOUNT] = result["partner"].id
        return self._wisp_render_secret(
            "wisp_portal.hotspot_result",
            {
                "hotspot": hotspot,
                "service": service,
                "expiry_datetime": result["expiry_datetime"],
                "duration": result["duration"],
                # the buyer's own new credential, shown once on this page
                "login": result.get("login") or service.login,
                "password": result.get("password") or service.network_password,
                "can_register": not partner,
            },
        )

    # -------------------------------------------------------------------------
    # Registration of an anonymous hotspot account
    # -------------------------------------------------------------------------
    def _wisp_hotspot_account(self):
        partner_id = request.session.get(SESSION_ACCOUNT)
        account = request.env["res.partner"].sudo().browse(partner_id).exists()
        if not account or not account.wisp_anonymous_prepaid:
            raise NotFound()
        return account

    @route(
        "/hotspot/register",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET", "POST"],
    )
    def hotspot_register(self, **post):
        account = self._wisp_hotspot_account()
        values = {"account": account, "errors": {}, "form": post, "done": False}
        if request.httprequest.method == "GET":
            values["form"] = {}
            return request.render("wisp_portal.hotspot_register", values)
        vals = {key: (post.get(key) or "").strip() for key in REGISTER_FIELDS}
        errors = {}
        if not vals["name"]:
            errors["name"] = request.env._("Give your name.")
        if not single_email_re.match(vals["email"]):
            errors["email"] = request.env._("Give a valid e-mail address.")
        if errors:
            values["errors"] = errors
            return request.render("wisp_portal.hotspot_register", values, status=400)
        bonus = request.website.company_id.wisp_registration_bonus
        try:
            with request.env.cr.savepoint():
                granted = account._wisp_register_prepaid(vals)
        except UserError as error:
            values["errors"] = {"email": error.args[0]}
            return request.render("wisp_portal.hotspot_register", values, status=400)
        values.update(done=True, bonus=bool(granted) and bonus, email=account.email)
        return request.render("wisp_portal.hotspot_register", values)

    # -------------------------------------------------------------------------
    # Buying a code by card
    # -------------------------------------------------------------------------
    @route(
        "/hotspot/buy",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET", "POST"],
    )
    def hotspot_buy(self, **post):
        plans = self._wisp_online_plans()
        user = request.env.user
        logged_in = not user._is_public()
        values = {
            "plans": plans,
            "plan_prices": self._wisp_plan_prices(plans),
            "logged_in": logged_in,
            "errors": {},
            "form": post,
        }
        if request.httprequest.method == "GET":
            values["form"] = {"plan_id": post.get("plan_id")}
            return request.render("wisp_portal.hotspot_buy", values)
        plan_id = self._cast_as_int(post.get("plan_id"))
        plan = plans.filtered(lambda p: p.id == plan_id)
        name = (post.get("name") or "").strip()
        email = (post.get("email") or "").strip()
        errors = {}
        if not plan:
            errors["plan_id"] = request.env._("Choose one of the plans on sale.")
        if not logged_in:
            if not name:
                errors["name"] = request.env._("Give your name.")
            if not single_email_re.match(email):
                errors["email"] = request.env._(
                    "Give a valid e-mail address: the code is sent to it."
                )
        if errors:
            values["errors"] = errors
            return request.render("wisp_portal.hotspot_buy", values, status=400)
        purchase = self._wisp_open_purchase(plan, user.partner_id if logged_in else None, email)
        if not purchase:
            try:
                purchase = request.env["wisp.voucher.purchase"]._wisp_checkout(
                    plan,
                    request_client_key(),
                    partner=user.partner_id if logged_in else None,
                    name=name,
                    email=email,
                    company=request.website.company_id,
                )
            except CheckoutLimitError as error:
                values["errors"] = {"form": error.args[0]}
                return request.render("wisp_portal.hotspot_buy", values, status=429)
            request.session[SESSION_PURCHASE] = purchase.id
        return request.redirect(purchase._wisp_landing_url())

    def _wisp_open_purchase(self, plan, partner, email):
        """This browser's unpaid checkout of the same plan and buyer, if any."""
        purchase = (
            request.env["wisp.voucher.purchase"]
            .sudo()
            .browse(request.session.get(SESSION_PURCHASE) or [])
            .exists()
        )
        buyer = partner.commercial_partner_id if partner else None
        if (
            purchase.state == "draft"
            and purchase.plan_id == plan
            and purchase.invoice_id.payment_state == "not_paid"
            and (
                purchase.partner_id.commercial_partner_id == buyer
                if buyer
                else purchase.partner_id.email == email
            )
        ):
            return purchase
        return purchase.browse()

    @route(
        "/hotspot/purchase/<int:purchase_id>",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET"],
    )
    def hotspot_purchase(self, purchase_id, access_token=None, **kwargs):
        purchase = self._wisp_purchase_check_access(purchase_id, access_token)
        # a payment confirmed but not booked yet (the customer came back before the
        # post-processing cron): book it now, which delivers the code
        purchase.transaction_ids._wisp_post_process_now()
        values = {
            "purchase": purchase,
            # the page opens by its link: enough of the address for the buyer to recognise it
            "masked_email": mask_email(purchase.partner_id.email),
            "hotspot": self._wisp_hotspot_params({}),
            "waiting": purchase._wisp_awaiting_confirmation(),
            "failed_tx": purchase.transaction_ids.filtered(
                lambda tx: tx.state in ("error", "cancel")
            )[:1],
        }
        if purchase.state == "draft" and not values["waiting"]:
            values.update(self._wisp_purchase_payment_values(purchase))
            # the buyer logged in to its own account may pay from its wallet
            user = request.env.user
            account = purchase.partner_id.commercial_partner_id
            if not user._is_public() and user.partner_id.commercial_partner_id == account:
                values["wallet_balance"] = account.wisp_wallet_balance
        return self._wisp_render_secret("wisp_portal.hotspot_purchase", values)

    def _wisp_purchase_payment_values(self, purchase):
        """The rendering context of ``payment.form`` for the purchase's invoice."""
        invoice = purchase.invoice_id
        return payment_form_values(
            partner=purchase.partner_id,
            company=purchase.company_id,
            amount=invoice.amount_residual,
            currency=invoice.currency_id,
            transaction_route=f"/hotspot/purchase/{purchase.id}/transaction",
            landing_route=purchase._wisp_landing_url(),
            access_token=purchase.access_token,
        )

    @route("/hotspot/purchase/<int:purchase_id>/transaction", type="jsonrpc", auth="public")
    def hotspot_purchase_transaction(self, purchase_id, access_token, **kwargs):
        """Create the card transaction of a purchase, on its invoice; return its processing
        values. The amount, partner and landing page come from the purchase, not the client."""
        try:
            purchase = self._document_check_access(
                "wisp.voucher.purchase", purchase_id, access_token
            )
        except (AccessError, MissingError):
            raise ValidationError(request.env._("The access token is invalid.")) from None
        if purchase.state != "draft" or purchase._wisp_awaiting_confirmation():
            raise ValidationError(request.env._("This purchase is already paid or being paid."))
        self._validate_transaction_kwargs(kwargs)
        check_transaction_kwargs(purchase.partner_id, kwargs)
        invoice = purchase.invoice_id
        kwargs.update(
            is_validation=False,
            amount=invoice.amount_residual,
            currency_id=invoice.currency_id.id,
            partner_id=payer(purchase.partner_id).id,
            landing_route=purchase._wisp_landing_url(),
        )
        tx_sudo = self._create_transaction(
            custom_create_values={
                "invoice_ids": [Command.set(invoice.ids)],
                "wisp_voucher_purchase_id": purchase.id,
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    # -------------------------------------------------------------------------
    # Where to buy for cash
    # -------------------------------------------------------------------------
    def _wisp_reseller_locations(self):
        # record rule: published locations only, for portal and public users
        return request.env["wisp.reseller.location"].search([])

    @route("/access-codes/where-to-buy", type="http", auth="public", website=True)
    def access_codes_where_to_buy(self, **kwargs):
        return request.render(
            "wisp_portal.access_codes_where_to_buy",
            {"locations": self._wisp_reseller_locations()},
        )

    # -------------------------------------------------------------------------
    # My access codes (portal)
    # -------------------------------------------------------------------------
    def _wisp_my_prepaid_services(self):
        # the user's own account, also for staff (whom record rules let read every
        # service); plans are read in sudo (portal users do not read products)
        account = request.env.user.partner_id.commercial_partner_id
        services = request.env["wisp.service"].search(
            [
                ("commercial_partner_id", "=", account.id),
                ("state", "in", ("active", "suspended")),
            ]
        )
        return services.sudo().filtered(lambda s: s.plan_id.is_prepaid)

    def _wisp_access_codes_values(self, **values):
        account = request.env.user.partner_id.commercial_partner_id
        plans = self._wisp_online_plans()
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "access_codes",
            "services": self._wisp_my_prepaid_services(),
            "vouchers": request.env["wisp.voucher"]
            .sudo()
            .search([("redeemed_partner_id", "=", account.id)], limit=50),
            "purchases": request.env["wisp.voucher.purchase"]
            .sudo()
            .search([("partner_id", "child_of", account.id)], limit=50),
            "locations": self._wisp_reseller_locations(),
            "plans": plans,
            "plan_prices": self._wisp_plan_prices(plans),
            "code": "",
            "service_id": None,
            "error": None,
            "result": None,
            **values,
        }

    @route("/my/access-codes", type="http", auth="user", website=True, methods=["GET"])
    def my_access_codes(self, **kwargs):
        return request.render(
            "wisp_portal.portal_my_access_codes", self._wisp_access_codes_values()
        )

    @route("/my/access-codes/redeem", type="http", auth="user", website=True, methods=["POST"])
    def my_access_codes_redeem(self, code="", service_id=None, **kwargs):
        service = request.env["wisp.service"]
        service_id = self._cast_as_int(service_id)
        if service_id:
            service = self._wisp_my_prepaid_services().filtered(lambda s: s.id == service_id)
            if not service:
                raise NotFound()
        result, error, status = self._wisp_redeem(
            code,
            partner=request.env.user.partner_id,
            service=service,
            # the hotspot this browser came from, if any, serves a new service
            site_code=self._wisp_hotspot_params({}).get("site"),
        )
        values = self._wisp_access_codes_values(
            code="" if result else code, service_id=service_id, error=error, result=result
        )
        return request.render("wisp_portal.portal_my_access_codes", values, status=status)
