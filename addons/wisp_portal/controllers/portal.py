import math

from werkzeug.exceptions import Forbidden, NotFound

from odoo import fields, http
from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.wisp_billing.models.wisp_voucher_attempt import VoucherThrottled
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..models.wisp_segment import OFFER_ROUTE
from .anonymous import payment_form_values, request_client_key

# A card top-up above this is a typing mistake rather than a prepayment.
WALLET_TOPUP_MAX = 10000.0
WALLET_LINES_PER_PAGE = 20
SERVICES_HISTORY = "my_wisp_services_history"


def _human_bytes(count):
    """``1.2 GB``, ``340 MB``, ``12 kB`` (decimal units, as data caps count)."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{int(count)} B"


class WispCustomerPortal(PaymentPortal):
    """Subscriber self-care: services dashboard, service page, plan change, wallet."""

    # -------------------------------------------------------------------------
    # Portal home
    # -------------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "wisp_service_count" in counters:
            Service = request.env["wisp.service"]
            values["wisp_service_count"] = (
                Service.search_count(self._wisp_services_domain())
                if Service.has_access("read")
                else 0
            )
        return values

    def _wisp_account(self):
        """The subscriber's account (commercial partner), sudo."""
        return request.env.user.partner_id.commercial_partner_id.sudo()

    def _wisp_services_domain(self):
        return [
            ("commercial_partner_id", "=", self._wisp_account().id),
            ("state", "!=", "terminated"),
        ]

    def _wisp_base_values(self, page_name, **values):
        return {
            **self._prepare_portal_layout_values(),
            "page_name": page_name,
            "has_helpdesk": "helpdesk.ticket" in request.env,
            **values,
        }

    # -------------------------------------------------------------------------
    # Dashboard and service page
    # -------------------------------------------------------------------------
    @http.route("/my/services", type="http", auth="user", website=True)
    def wisp_services(self, message=None, **kwargs):
        return self._wisp_services_page(message=message)

    def _wisp_services_page(self, message=None, autopay_error=None, status=200):
        # Searched as the subscriber: the portal record rule keeps it to its account.
        services = request.env["wisp.service"].search(self._wisp_services_domain())
        request.session[SERVICES_HISTORY] = services.ids[:100]
        account = self._wisp_account()
        values = self._wisp_base_values(
            "wisp_services",
            data=services._portal_dashboard_data(account),
            referral_code=request.env.user.partner_id._wisp_referral_code_get(),
            referral_credit=request.env.company.wisp_referral_credit,
            autopay=self._wisp_autopay_values(account),
            autopay_error=autopay_error,
            message=message,
        )
        return request.render("wisp_portal.portal_my_services", values, status=status)

    # -------------------------------------------------------------------------
    # Autopay with a saved card
    # -------------------------------------------------------------------------
    def _wisp_own_cards(self):
        """The logged-in user's saved cards that can still be charged (read as the user:
        payment's record rule keeps them to the user's own)."""
        tokens = request.env["payment.token"].search(
            [("partner_id", "=", request.env.user.partner_id.id)]
        )
        return tokens.filtered(lambda token: token.sudo().provider_id.state != "disabled")

    def _wisp_autopay_values(self, account):
        token = account.wisp_autopay_token_id
        return {
            "enabled": account.wisp_autopay,
            # the account's card may be another contact's: its masked name only
            "card": token.display_name if token.active else None,
            "card_id": token.id if token.active else None,
            "cards": [
                {"id": card.id, "name": card.sudo().display_name} for card in self._wisp_own_cards()
            ],
        }

    @http.route("/my/autopay", type="http", auth="user", methods=["POST"], website=True)
    def wisp_autopay(self, autopay=None, token_id=None, **kwargs):
        token = request.env["payment.token"]
        if autopay == "on":
            token_id = self._cast_as_int(token_id)
            if not token_id:
                return self._wisp_services_page(
                    autopay_error=request.env._("Choose the card to charge."), status=400
                )
            token = self._wisp_own_cards().filtered(lambda card: card.id == token_id)
            if not token:
                raise NotFound()
        elif autopay != "off":
            return self._wisp_services_page(
                autopay_error=request.env._("Choose whether autopay is on or off."), status=400
            )
        try:
            with request.env.cr.savepoint():
                # the subscriber's own account; the chatter says who turned it on or off
                request.env.user.partner_id._wisp_set_autopay(token)
        except UserError as exc:
            return self._wisp_services_page(autopay_error=exc.args[0], status=400)
        message = "autopay_on" if token else "autopay_off"
        return request.redirect(f"/my/services?message={message}")

    def _wisp_service_check_access(self, service_id):
        """The subscriber's own service (sudo), else 404 without a word about it."""
        try:
            service_sudo = self._document_check_access("wisp.service", service_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        if service_sudo.commercial_partner_id != self._wisp_account():
            raise NotFound()
        return service_sudo

    def _wisp_service_values(self, service_sudo, page_name, **values):
        data = service_sudo._portal_dashboard_data(self._wisp_account())
        values = self._wisp_base_values(
            page_name, service=data["services"][0], summary=data["summary"], **values
        )
        return self._get_page_view_values(service_sudo, None, values, SERVICES_HISTORY, False)

    @http.route("/my/services/<int:service_id>", type="http", auth="user", website=True)
    def wisp_service(self, service_id, message=None, **kwargs):
        service_sudo = self._wisp_service_check_access(service_id)
        values = self._wisp_service_values(
            service_sudo,
            "wisp_service",
            invoice_lines=service_sudo._portal_invoice_lines(),
            message=message,
        )
        return request.render("wisp_portal.portal_my_service", values)

    @http.route("/my/services/<int:service_id>/live", type="http", auth="user", website=True)
    def wisp_service_live(self, service_id, **kwargs):
        """Online now: the subscriber's own service's session, read from its router
        with a short timeout (a router that does not answer says so, no error page)."""
        service_sudo = self._wisp_service_check_access(service_id)
        live = service_sudo._live_status()[service_sudo.id]
        return request.render(
            "wisp_portal.wisp_live_session",
            {
                "live": live,
                "download": _human_bytes(live["download_bytes"]),
                "upload": _human_bytes(live["upload_bytes"]),
            },
        )

    # -------------------------------------------------------------------------
    # Plan change
    # -------------------------------------------------------------------------
    def _wisp_plan_page(self, service_sudo, error=None, status=200, **form):
        account = self._wisp_account()
        today = fields.Date.context_today(service_sudo)
        next_date = account.wisp_next_billing_date
        if next_date and next_date <= today:
            next_date = None  # the next cycle starts today: "now" is that change
        plans = service_sudo._portal_plan_options()
        prices = service_sudo._portal_prices(account, plans)
        options = [
            {
                **service_sudo._portal_plan_values(plan, prices),
                "is_upgrade": plan.download_kbps > service_sudo.plan_id.download_kbps,
                "promo_price": service_sudo._portal_promotion_price(account, plan),
                "now": service_sudo._portal_plan_change_preview(account, plan, today),
                "next_cycle": next_date
                and service_sudo._portal_plan_change_preview(account, plan, next_date),
            }
            for plan in plans
        ]
        values = self._wisp_service_values(
            service_sudo,
            "wisp_plan",
            plans=options,
            next_date=next_date,
            error=error,
            form=form,
        )
        return request.render("wisp_portal.portal_my_service_plan", values, status=status)

    @http.route(
        "/my/services/<int:service_id>/plan",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def wisp_service_plan(self, service_id, plan_id=None, **kwargs):
        service_sudo = self._wisp_service_check_access(service_id)
        # a campaign's offer preselects its plan, if this service may take it: the id
        # comes from a link anyone can edit, so another plan is simply not chosen
        offer = self._wisp_plan_offer(service_sudo, plan_id)
        return self._wisp_plan_page(service_sudo, plan_id=offer.id or None)

    def _wisp_plan_offer(self, service_sudo, plan_id):
        """The plan ``plan_id`` names if it is one this service may move to, else none."""
        plan_id = self._cast_as_int(plan_id)
        return service_sudo._portal_plan_options().filtered(lambda plan: plan.id == plan_id)

    @http.route(OFFER_ROUTE, type="http", auth="user", methods=["GET"], website=True)
    def wisp_plan_offer(self, plan_id=None, **kwargs):
        """A campaign's upsell link, one for every subscriber: the plan change page of
        the subscriber's first service that may take the offered plan, with the plan
        preselected; without one, the services dashboard."""
        services = request.env["wisp.service"].search(self._wisp_services_domain())
        for service in services:
            offer = self._wisp_plan_offer(service.sudo(), plan_id)
            if offer:
                return request.redirect(f"/my/services/{service.id}/plan?plan_id={offer.id}")
        return request.redirect("/my/services")

    @http.route(
        "/my/services/<int:service_id>/plan",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def wisp_service_plan_submit(self, service_id, plan_id=None, when=None, **kwargs):
        service_sudo = self._wisp_service_check_access(service_id)
        try:
            plan, effective_date = self._wisp_plan_change_parse(service_sudo, plan_id, when)
            with request.env.cr.savepoint():
                # uid stays the subscriber's: the chatter says who asked for it
                service_sudo.with_user(request.env.user).sudo().action_change_plan(
                    plan, effective_date
                )
        except UserError as exc:
            return self._wisp_plan_page(
                service_sudo, error=exc.args[0], status=400, plan_id=plan_id, when=when
            )
        message = "plan_scheduled" if effective_date else "plan_changed"
        return request.redirect(f"/my/services/{service_sudo.id}?message={message}")

    def _wisp_plan_change_parse(self, service_sudo, plan_id, when):
        """``(plan, effective date or None for now)`` from the form, or a UserError
        saying what is wrong."""
        if not service_sudo._portal_can_change_plan():
            raise UserError(request.env._("The plan of this service cannot be changed online."))
        plan_id = self._cast_as_int(plan_id)
        if not plan_id:
            raise UserError(request.env._("Choose one of the plans listed."))
        if plan_id == service_sudo.plan_id.id:
            raise UserError(request.env._("Your service is already on this plan."))
        plan = service_sudo._portal_plan_options().filtered(lambda p: p.id == plan_id)
        if not plan:
            raise UserError(request.env._("This plan is not available for your service."))
        if when not in ("now", "next_cycle"):
            raise UserError(request.env._("Choose when the change takes effect."))
        effective_date = None
        if when == "next_cycle":
            effective_date = self._wisp_account().wisp_next_billing_date
            if not effective_date:
                raise UserError(
                    request.env._("Your next billing date is not set: change the plan now.")
                )
            if effective_date <= fields.Date.context_today(service_sudo):
                effective_date = None
        return plan, effective_date

    # -------------------------------------------------------------------------
    # Wallet
    # -------------------------------------------------------------------------
    @http.route(
        ["/my/wallet", "/my/wallet/page/<int:page>"], type="http", auth="user", website=True
    )
    def wisp_wallet(self, page=1, applied=None, **kwargs):
        return self._wisp_wallet_page(page=page, applied=applied)

    def _wisp_wallet_page(self, page=1, applied=None, error=None, status=200, **values):
        account = self._wisp_account()
        # a subscriber's history is short (a few movements a month): paged in memory
        movements = account._wisp_wallet_movements()
        pager = portal_pager(
            url="/my/wallet",
            total=len(movements),
            page=page,
            step=WALLET_LINES_PER_PAGE,
        )
        shown = movements[pager["offset"] : pager["offset"] + WALLET_LINES_PER_PAGE]
        summary = request.env["wisp.service"]._portal_account_summary(account)
        applied_invoice = self._wisp_own_invoice(applied)
        values = self._wisp_base_values(
            "wisp_wallet",
            summary=summary,
            movements=[self._wisp_movement_values(movement) for movement in shown],
            pager=pager,
            applied_invoice=applied_invoice,
            error=error,
            topup_max=WALLET_TOPUP_MAX,
            **values,
        )
        return request.render("wisp_portal.portal_my_wallet", values, status=status)

    def _wisp_movement_values(self, movement):
        move = movement["move"]
        return {
            **movement,
            "document": move.name,
            # invoices have a portal page; payments and credits have none
            "url": move.access_url if move.is_invoice(include_receipts=True) else None,
        }

    def _wisp_own_invoice(self, invoice_id):
        """The subscriber's posted customer invoice ``invoice_id`` (sudo) or an empty
        recordset."""
        invoice_id = self._cast_as_int(invoice_id)
        invoice = request.env["account.move"].sudo().browse(invoice_id or []).exists()
        if (
            not invoice
            or invoice.commercial_partner_id != self._wisp_account()
            or invoice.move_type != "out_invoice"
            or invoice.state != "posted"
        ):
            return request.env["account.move"]
        return invoice

    @http.route("/my/wallet/apply", type="http", auth="user", methods=["POST"], website=True)
    def wisp_wallet_apply(self, invoice_id=None, **kwargs):
        if self._cast_as_int(invoice_id) is None:
            return self._wisp_wallet_page(
                error=request.env._("Choose one of your open invoices."), status=400
            )
        invoice = self._wisp_own_invoice(invoice_id)
        if not invoice:
            raise NotFound()
        if invoice.payment_state not in ("not_paid", "partial"):
            return self._wisp_wallet_page(
                error=request.env._("Invoice %(name)s is already paid.", name=invoice.name),
                status=400,
            )
        try:
            with request.env.cr.savepoint():
                invoice.action_wisp_apply_wallet()
        except UserError as exc:
            return self._wisp_wallet_page(error=exc.args[0], status=400)
        return request.redirect(f"/my/wallet?applied={invoice.id}")

    def _wisp_topup_amount(self, amount):
        """The top-up amount rounded to the currency, or a clear UserError."""
        currency = request.env.company.currency_id
        value = self._cast_as_float(amount)
        if value is None or not math.isfinite(value):
            raise UserError(request.env._("Enter the amount to add to your wallet, e.g. 25.00."))
        value = currency.round(value)
        if not 0 < value <= WALLET_TOPUP_MAX:
            raise UserError(
                request.env._(
                    "The top-up amount must be more than 0 and at most %(max)s.",
                    max=currency.format(WALLET_TOPUP_MAX),
                )
            )
        return value

    @http.route("/my/wallet/gift-card", type="http", auth="user", methods=["POST"], website=True)
    def wisp_wallet_gift_card(self, code="", **kwargs):
        """Credit the wallet with a gift card the subscriber types in. Wrong codes count
        towards the caller's throttle, as on the hotspot page."""
        try:
            card = (
                request.env["wisp.gift.card"]
                .sudo()
                ._redeem(code, self._wisp_account(), client_key=request_client_key())
            )
        except VoucherThrottled as error:
            return self._wisp_wallet_page(error=error.args[0], status=429)
        except UserError as error:
            return self._wisp_wallet_page(error=error.args[0], status=400)
        return self._wisp_wallet_page(gift_card=card)

    @http.route("/my/wallet/topup", type="http", auth="user", methods=["GET"], website=True)
    def wisp_wallet_topup(self, amount=None, **kwargs):
        """Odoo's payment form for a top-up of ``amount`` (as payment's /payment/pay)."""
        try:
            amount = self._wisp_topup_amount(amount)
        except UserError as exc:
            return self._wisp_wallet_page(error=exc.args[0], status=400, topup_amount=amount)
        partner_sudo = request.env.user.partner_id
        company = request.env.company
        currency = company.currency_id
        values = self._wisp_base_values(
            "wisp_topup",
            wallet_balance=self._wisp_account().wisp_wallet_balance,
            **payment_form_values(
                partner_sudo,
                company,
                amount=amount,
                currency=currency,
                transaction_route="/my/wallet/transaction",
                landing_route="/my/wallet",
                # binds the transaction route to this partner, amount and currency
                access_token=payment_utils.generate_access_token(
                    partner_sudo.id, amount, currency.id
                ),
            ),
        )
        return request.render("wisp_portal.portal_my_wallet_topup", values)

    @http.route("/my/wallet/transaction", type="jsonrpc", auth="user")
    def wisp_wallet_transaction(self, amount, access_token, **kwargs):
        """Create the draft top-up transaction of the payment form."""
        partner_sudo = request.env.user.partner_id
        currency = request.env.company.currency_id
        try:
            amount = self._wisp_topup_amount(amount)
        except UserError as exc:
            raise ValidationError(exc.args[0]) from None
        if not payment_utils.check_access_token(access_token, partner_sudo.id, amount, currency.id):
            raise Forbidden()
        self._validate_transaction_kwargs(kwargs)
        kwargs.update(landing_route="/my/wallet", is_validation=False)
        tx_sudo = self._create_transaction(
            amount=amount,
            currency_id=currency.id,
            partner_id=partner_sudo.id,
            # partner_id again for the WALLET-<account> reference
            custom_create_values={"wisp_wallet_topup": True, "partner_id": partner_sudo.id},
            **kwargs,
        )
        return tx_sudo._get_processing_values()
