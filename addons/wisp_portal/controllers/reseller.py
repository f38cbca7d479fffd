"""The reseller portal: voucher stock, sales, statements and the customers it signs up.

Every page reads as the reseller's own user, so the record rules of
wisp_billing keep it to its own vouchers, sales, statements and connection
requests; sudo is only used afterwards, on records that passed that check, for
what a portal user may not read itself (batches, plans, invoices' PDFs).
"""

from collections import defaultdict

from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request
from odoo.tools.pdf import merge_pdf

from .connection_request import (
    PROSPECT_FIELDS,
    promo_code_check,
    prospect_form_errors,
    prospect_request_vals,
    read_promo_code,
    read_prospect_form,
)

STOCK_STATES = ("assigned", "sold", "active")
LIST_STATES = ("assigned", "sold", "active", "expired", "void")
PAGE_SIZE = 50


def parse_ids(values):
    """Record ids from repeated and/or comma-separated parameters; None if one is not a number."""
    ids = set()
    for value in values:
        for part in map(str.strip, value.split(",")):
            if not part:
                continue
            if not part.isdigit():
                return None
            ids.add(int(part))
    return sorted(ids)


def as_page(value):
    return int(value) if str(value).isdigit() and int(value) > 0 else 1


class WispResellerPortal(CustomerPortal):
    # -------------------------------------------------------------------------
    # Helpers
    # -------------------------------------------------------------------------
    def _wisp_reseller(self):
        """The reseller (commercial partner) of the logged-in user, or 403."""
        user = request.env.user
        reseller = user.commercial_partner_id
        if not user.has_group("wisp_billing.group_wisp_reseller") or not reseller.wisp_is_reseller:
            raise Forbidden()
        return reseller

    def _wisp_reseller_values(self, page_name, **values):
        return {
            **self._prepare_portal_layout_values(),
            "page_name": page_name,
            "reseller": self._wisp_reseller(),
            "currency": request.website.company_id.currency_id,
            **values,
        }

    def _wisp_plan_batches(self, plan_id):
        """Batches of a plan (sudo: resellers never read batches; the voucher
        search that uses them stays under the reseller's rule)."""
        return request.env["wisp.voucher.batch"].sudo().search([("plan_id", "=", plan_id)])

    def _wisp_stock_by_plan(self):
        """[(plan, {state: count})] of the reseller's cards, by plan name."""
        groups = request.env["wisp.voucher"]._read_group(
            [("state", "in", STOCK_STATES)], ["batch_id", "state"], ["__count"]
        )
        stock = defaultdict(lambda: dict.fromkeys(STOCK_STATES, 0))
        for batch, state, count in groups:
            stock[batch.sudo().plan_id][state] += count
        return sorted(stock.items(), key=lambda item: item[0].name or "")

    # -------------------------------------------------------------------------
    # Dashboard and stock
    # -------------------------------------------------------------------------
    @http.route("/my/reseller", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_home(self, **kwargs):
        values = self._wisp_reseller_values("wisp_reseller", stock=self._wisp_stock_by_plan())
        return request.render("wisp_portal.reseller_home", values)

    @http.route("/my/reseller/vouchers", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_vouchers(self, plan_id=None, state=None, page=1, sold=None, **kwargs):
        return request.render(
            "wisp_portal.reseller_vouchers",
            self._wisp_vouchers_values(plan_id, state, page, sold=sold),
        )

    def _wisp_vouchers_values(self, plan_id, state, page, **values):
        self._wisp_reseller()
        Voucher = request.env["wisp.voucher"]
        domain = []
        plan_id = int(plan_id) if plan_id and str(plan_id).isdigit() else None
        if plan_id:
            domain.append(("batch_id", "in", self._wisp_plan_batches(plan_id).ids))
        state = state if state in LIST_STATES else None
        if state:
            domain.append(("state", "=", state))
        url_args = {"plan_id": plan_id or "", "state": state or ""}
        total = Voucher.search_count(domain)
        pager = portal_pager(
            url="/my/reseller/vouchers",
            url_args=url_args,
            total=total,
            page=as_page(page),
            step=PAGE_SIZE,
        )
        vouchers = Voucher.search(
            domain, order="assigned_date desc, id desc", limit=PAGE_SIZE, offset=pager["offset"]
        )
        return self._wisp_reseller_values(
            "wisp_reseller_vouchers",
            vouchers=vouchers,
            pager=pager,
            plans=[plan for plan, _counts in self._wisp_stock_by_plan()],
            plan_id=plan_id,
            state=state,
            states=dict(Voucher._fields["state"]._description_selection(request.env)),
            list_states=LIST_STATES,
            **values,
        )

    @http.route(
        "/my/reseller/vouchers/sell", type="http", auth="user", methods=["POST"], website=True
    )
    def wisp_reseller_sell(self, plan_id=None, state=None, **kwargs):
        self._wisp_reseller()
        ids = parse_ids(request.httprequest.form.getlist("ids"))
        if ids is None:
            raise NotFound()
        if not ids:
            return self._wisp_sell_error(
                plan_id, state, request.env._("Select the cards you sold first.")
            )
        vouchers = request.env["wisp.voucher"].browse(ids)
        # the reseller's record rule hides other resellers' cards: any id it
        # cannot see is refused as a whole, before anything is sold
        if vouchers.search_count([("id", "in", ids)]) != len(ids):
            raise Forbidden()
        try:
            # as the reseller, never sudo: action_sell checks that the cards are its own
            vouchers.action_sell()
        except AccessError:
            raise Forbidden() from None
        except UserError as error:
            return self._wisp_sell_error(plan_id, state, error.args[0])
        query = url_encode({"sold": len(vouchers), "state": state or "", "plan_id": plan_id or ""})
        return request.redirect(f"/my/reseller/vouchers?{query}")

    def _wisp_sell_error(self, plan_id, state, message):
        values = self._wisp_vouchers_values(plan_id, state, 1, sell_error=message)
        return request.render("wisp_portal.reseller_vouchers", values, status=400)

    @http.route(
        "/my/reseller/cards.pdf", type="http", auth="user", methods=["GET", "POST"], website=True
    )
    def wisp_reseller_cards(self, plan_id=None, **kwargs):
        """A card sheet of the reseller's own cards in stock: the chosen ones
        (``ids``, also posted by the voucher list's print button) or all of a
        plan (``plan_id``). Any other card: 404."""
        self._wisp_reseller()
        ids = parse_ids(request.httprequest.values.getlist("ids"))
        if ids is None:
            raise NotFound()
        domain = [("state", "=", "assigned")]
        if ids:
            domain.append(("id", "in", ids))
        elif plan_id and plan_id.isdigit():
            domain.append(("batch_id", "in", self._wisp_plan_batches(int(plan_id)).ids))
        else:
            raise NotFound()
        vouchers = request.env["wisp.voucher"].search(domain, order="id")
        if not vouchers or (ids and len(vouchers) != len(ids)):
            raise NotFound()
        sheets = [
            batch._render_cards_pdf(batch_vouchers)
            for batch, batch_vouchers in vouchers.sudo().grouped("batch_id").items()
        ]
        pdf = sheets[0] if len(sheets) == 1 else merge_pdf(sheets)
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", content_disposition("voucher-cards.pdf")),
            ],
        )

    # -------------------------------------------------------------------------
    # Sales and statements
    # -------------------------------------------------------------------------
    @http.route("/my/reseller/sales", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_sales(self, month=None, page=1, **kwargs):
        self._wisp_reseller()
        Sale = request.env["wisp.voucher.sale"]
        periods = [
            {
                "month": start,
                "key": start.strftime("%Y-%m"),
                "count": count,
                "price": price,
                "commission": commission,
                "amount_due": amount_due,
            }
            for start, count, price, commission, amount_due in Sale._read_group(
                [],
                ["date:month"],
                ["__count", "price:sum", "commission:sum", "amount_due:sum"],
                order="date:month desc",
            )
        ]
        domain = []
        selected = next((period for period in periods if period["key"] == month), None)
        if selected:
            start = fields.Datetime.to_datetime(selected["month"])
            domain = [("date", ">=", start), ("date", "<", start + relativedelta(months=1))]
        pager = portal_pager(
            url="/my/reseller/sales",
            url_args={"month": selected["key"] if selected else ""},
            total=Sale.search_count(domain),
            page=as_page(page),
            step=PAGE_SIZE,
        )
        sales = Sale.search(domain, limit=PAGE_SIZE, offset=pager["offset"])
        values = self._wisp_reseller_values(
            "wisp_reseller_sales", periods=periods, selected=selected, sales=sales, pager=pager
        )
        return request.render("wisp_portal.reseller_sales", values)

    @http.route("/my/reseller/statements", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_statements(self, **kwargs):
        self._wisp_reseller()
        statements = request.env["wisp.reseller.statement"].search([])
        values = self._wisp_reseller_values(
            "wisp_reseller_statements",
            statements=statements,
            totals={
                name: sum(statements.mapped(name))
                for name in ("sale_count", "total_sales", "total_commission", "amount_due")
            },
        )
        return request.render("wisp_portal.reseller_statements", values)

    @http.route(
        "/my/reseller/statements/<int:statement_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def wisp_reseller_statement(self, statement_id, **kwargs):
        self._wisp_reseller()
        try:
            statement = self._document_check_access("wisp.reseller.statement", statement_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        values = self._wisp_reseller_values("wisp_reseller_statement", statement=statement)
        return request.render("wisp_portal.reseller_statement", values)

    # -------------------------------------------------------------------------
    # Customers signed up by the reseller
    # -------------------------------------------------------------------------
    @http.route("/my/reseller/customers", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_customers(self, page=1, created=None, **kwargs):
        self._wisp_reseller()
        Request = request.env["wisp.connection.request"]
        pager = portal_pager(
            url="/my/reseller/customers",
            total=Request.search_count([]),
            page=as_page(page),
            step=PAGE_SIZE,
        )
        # read under the reseller's rule; sudo afterwards for the plan names
        requests = Request.search([], limit=PAGE_SIZE, offset=pager["offset"]).sudo()
        values = self._wisp_reseller_values(
            "wisp_reseller_customers",
            connection_requests=requests,
            created=requests.filtered(lambda r: str(r.id) == created),
            states=dict(Request._fields["state"]._description_selection(request.env)),
            pager=pager,
        )
        return request.render("wisp_portal.reseller_customers", values)

    @http.route("/my/reseller/signup", type="http", auth="user", methods=["GET"], website=True)
    def wisp_reseller_signup(self, **kwargs):
        values = dict.fromkeys(PROSPECT_FIELDS, "")
        return request.render("wisp_portal.reseller_signup", self._wisp_signup_values(values))

    @http.route("/my/reseller/signup", type="http", auth="user", methods=["POST"], website=True)
    def wisp_reseller_signup_submit(self, **post):
        reseller = self._wisp_reseller()
        values = read_prospect_form(post)
        # the reseller form has no second street line nor country
        values.update(street2="", country_id="", promo_code=read_promo_code(post))
        context = self._wisp_signup_values(values)
        errors = prospect_form_errors(request.env, values, context["plans"], plan_required=True)
        promotion, errors["promo_code"] = promo_code_check(
            self._wisp_signup_requests().env, values["promo_code"], context["plans"], values
        )
        errors = {name: error for name, error in errors.items() if error}
        if errors:
            context["errors"] = errors
            return request.render("wisp_portal.reseller_signup", context, status=400)
        vals = prospect_request_vals(values, context["plans"])
        vals.update(source="reseller", reseller_id=reseller.id, wisp_promotion_id=promotion.id)
        # sudo after validation: resellers only read their requests
        created = self._wisp_signup_requests().create(vals)
        return request.redirect(f"/my/reseller/customers?created={created.id}")

    def _wisp_signup_requests(self):
        return (
            request.env["wisp.connection.request"].sudo().with_company(request.website.company_id)
        )

    def _wisp_signup_values(self, values):
        plans = self._wisp_signup_requests()._wisp_offered_plans()
        return self._wisp_reseller_values(
            "wisp_reseller_signup",
            values=values,
            errors={},
            plans=plans,
            # what a new subscriber's invoices charge (not the reseller's own taxes):
            # priced for the website's visitor, whose user a reseller may not read
            plan_prices=request.env["wisp.service"]._portal_list_prices(
                request.website.user_id.sudo().partner_id, plans
            ),
        )
