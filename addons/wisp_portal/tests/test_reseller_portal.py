import re

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import make_prepaid_plan
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WispPortalCase

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def amount_of(page, css_class):
    """The amount of the first monetary cell with ``css_class``, as text."""
    cell = re.search(
        rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>[^<]*<span class="oe_currency_value">([^<]+)<',
        page,
    )
    return cell and cell.group(1)


@tagged("post_install", "-at_install")
class TestResellerPortal(WispPortalCase):
    """Two resellers on the portal: each sees, sells and prints only its own cards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a, cls.shop_b = cls.env["res.partner"].create(
            [
                {
                    "name": "Corner Shop A",
                    "is_company": True,
                    "wisp_is_reseller": True,
                    "wisp_reseller_commission": 20.0,
                },
                {
                    "name": "Kiosk B",
                    "is_company": True,
                    "wisp_is_reseller": True,
                    "wisp_reseller_commission": 10.0,
                },
            ]
        )
        cls.user_a = cls._reseller_user("reseller_a", cls.shop_a)
        cls.user_b = cls._reseller_user("reseller_b", cls.shop_b)
        cls.plan_week = make_prepaid_plan(
            cls.env, "Hotspot Week", duration=7, price=10.0, taxes_id=[], company_id=False
        )
        cls.cards_a = cls._assigned_cards(cls.shop_a, cls.plan_prepaid, 3)
        cls.week_a = cls._assigned_cards(cls.shop_a, cls.plan_week, 2)
        cls.cards_b = cls._assigned_cards(cls.shop_b, cls.plan_prepaid, 2)

    @classmethod
    def _reseller_user(cls, login, shop):
        """A clerk of ``shop``: its commercial partner is the reseller."""
        user = cls._portal_user(
            login, f"{shop.name} clerk", groups="wisp_billing.group_wisp_reseller"
        )
        user.partner_id.parent_id = shop
        return user

    @classmethod
    def _assigned_cards(cls, shop, plan, quantity):
        batch = cls.env["wisp.voucher.batch"].create(
            {"name": f"{shop.name} {plan.name}", "plan_id": plan.id, "quantity": quantity}
        )
        batch.action_generate()
        batch.voucher_ids._wisp_assign(shop, "consignment")
        return batch.voucher_ids

    def csrf(self, url="/my/reseller/vouchers"):
        return CSRF_RE.search(self.url_open(url).text).group(1)

    def sell(self, vouchers, **extra):
        data = [("csrf_token", self.csrf()), *[("ids", str(v.id)) for v in vouchers]]
        return self.url_open("/my/reseller/vouchers/sell", data=data + list(extra.items()))

    def sales_of(self, vouchers):
        return self.env["wisp.voucher.sale"].search([("voucher_id", "in", vouchers.ids)])

    # ------------------------------------------------------------------ pages
    def test_home_tile_and_stock(self):
        self.cards_a[:1].sudo().action_sell()
        self.authenticate("reseller_a", "reseller_a")
        self.assertIn("o_wisp_reseller_category", self.url_open("/my").text)
        page = self.url_open("/my/reseller")
        self.assertEqual(page.status_code, 200)
        row = re.search(
            rf'data-plan-id="{self.plan_prepaid.id}".*?</tr>', page.text, re.DOTALL
        ).group(0)
        self.assertRegex(row, r'o_wisp_stock_assigned">2<')
        self.assertRegex(row, r'o_wisp_stock_sold">1<')
        self.assertIn(f"/my/reseller/cards.pdf?plan_id={self.plan_prepaid.id}", row)
        self.assertIn(f'data-plan-id="{self.plan_week.id}"', page.text)

        self.authenticate("alice", "alice")
        self.assertNotIn("o_wisp_reseller_category", self.url_open("/my").text)
        self.assertEqual(self.url_open("/my/reseller").status_code, 403)
        self.assertEqual(self.url_open("/my/reseller/vouchers").status_code, 403)

    def test_voucher_list_filters(self):
        self.authenticate("reseller_a", "reseller_a")
        page = self.url_open("/my/reseller/vouchers").text
        for voucher in self.cards_a | self.week_a:
            self.assertIn(voucher.code, page)
        page = self.url_open(f"/my/reseller/vouchers?plan_id={self.plan_week.id}").text
        self.assertIn(self.week_a[0].code, page)
        self.assertNotIn(self.cards_a[0].code, page)
        self.cards_a[:1].sudo().action_sell()
        page = self.url_open("/my/reseller/vouchers?state=sold").text
        self.assertIn(self.cards_a[0].code, page)
        self.assertNotIn(self.cards_a[1].code, page)

    # ------------------------------------------------------------- isolation
    def test_isolation_by_rpc(self):
        Voucher = self.env["wisp.voucher"].with_user(self.user_a)
        self.assertEqual(Voucher.search([]), self.cards_a | self.week_a)
        foreign = self.cards_b.with_user(self.user_a)
        with self.assertRaises(AccessError):
            foreign.read(["code"])
        with self.assertRaises(AccessError):
            foreign.action_sell()
        with self.assertRaises(AccessError):
            (self.cards_a[:1] | self.cards_b[:1]).with_user(self.user_a).action_sell()
        self.assertEqual(set((self.cards_a | self.cards_b).mapped("state")), {"assigned"})
        self.cards_b.sudo().action_sell()
        statement_b = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.shop_b.id, "date_from": "2000-01-01", "date_to": "2100-01-01"}
        )
        for model in ("wisp.voucher.sale", "wisp.reseller.statement"):
            self.assertFalse(self.env[model].with_user(self.user_a).search([]), model)
        with self.assertRaises(AccessError):
            statement_b.with_user(self.user_a).read(["amount_due"])

    def test_isolation_by_url(self):
        self.cards_b[:1].sudo().action_sell()
        statement_b = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.shop_b.id, "date_from": "2000-01-01", "date_to": "2100-01-01"}
        )
        self.authenticate("reseller_a", "reseller_a")
        for url in ("/my/reseller/vouchers", "/my/reseller/sales", "/my/reseller/statements"):
            page = self.url_open(url).text
            for voucher in self.cards_b:
                self.assertNotIn(voucher.code, page, url)
            self.assertNotIn("Kiosk B", page, url)
        with mute_logger("odoo.http"):
            self.assert_refused(self.sell(self.cards_b[1:]))
            self.assert_refused(self.sell(self.cards_a[:1] | self.cards_b[1:]), "one foreign id")
            self.assert_refused(self.url_open(f"/my/reseller/statements/{statement_b.id}"))
            self.assert_refused(self.url_open("/my/reseller/statements/999999"))
            self.assert_refused(self.url_open(f"/my/reseller/cards.pdf?ids={self.cards_b[1].id}"))
            self.assert_refused(
                self.url_open(
                    f"/my/reseller/cards.pdf?ids={self.cards_a[0].id},{self.cards_b[1].id}"
                )
            )
        self.assertEqual(self.cards_b[1].state, "assigned")
        self.assertEqual(self.cards_a[0].state, "assigned", "nothing sold when one id is foreign")
        self.assertFalse(self.sales_of(self.cards_a))

    # ----------------------------------------------------------------- sales
    def test_mark_sold(self):
        self.authenticate("reseller_a", "reseller_a")
        response = self.sell(self.cards_a[:2], state="assigned")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_wisp_sold_message", response.text)
        self.assertIn("state=assigned", response.url)
        self.assertEqual(self.cards_a[:2].mapped("state"), ["sold", "sold"])
        sales = self.sales_of(self.cards_a)
        self.assertEqual(len(sales), 2)
        self.assertEqual(sales.reseller_id, self.shop_a)
        self.assertEqual(sales.mapped("amount_due"), [1.6, 1.6], "2.0 minus 20% commission")

        # a card already sold, and an empty selection: a clear error, nothing changes
        response = self.sell(self.cards_a[:1] | self.cards_a[2:])
        self.assertEqual(response.status_code, 400)
        self.assertIn("cannot be sold now", response.text)
        self.assertEqual(self.cards_a[2].state, "assigned")
        response = self.sell(self.cards_a.browse())
        self.assertEqual(response.status_code, 400)
        self.assertIn("Select the cards you sold first", response.text)

    def test_cards_pdf(self):
        self.authenticate("reseller_a", "reseller_a")
        for url in (
            f"/my/reseller/cards.pdf?ids={self.cards_a[0].id},{self.cards_a[1].id}",
            f"/my/reseller/cards.pdf?plan_id={self.plan_prepaid.id}",
            f"/my/reseller/cards.pdf?ids={self.cards_a[0].id}&ids={self.week_a[0].id}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertEqual(response.headers["Content-Type"], "application/pdf")
            self.assertTrue(response.content.startswith(b"%PDF"), url)
        # the print button posts the selection
        response = self.url_open(
            "/my/reseller/cards.pdf",
            data={"csrf_token": self.csrf(), "ids": str(self.week_a[1].id)},
        )
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.cards_a[2].sudo().action_sell()
        other_plan = self.plan_50
        with mute_logger("odoo.http"):
            self.assert_refused(self.url_open(f"/my/reseller/cards.pdf?ids={self.cards_a[2].id}"))
            self.assert_refused(self.url_open(f"/my/reseller/cards.pdf?plan_id={other_plan.id}"))
            self.assert_refused(self.url_open("/my/reseller/cards.pdf"))
            self.assert_refused(self.url_open("/my/reseller/cards.pdf?ids=1;DROP"))
        self.authenticate("reseller_b", "reseller_b")
        with mute_logger("odoo.http"):
            self.assert_refused(self.url_open(f"/my/reseller/cards.pdf?ids={self.cards_a[0].id}"))

    def test_sales_and_statements(self):
        self.cards_a[:2].with_user(self.user_a).action_sell()
        self.week_a[:1].with_user(self.user_a).action_sell()
        today = fields.Date.context_today(self.env.user)
        statement = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.shop_a.id, "date_from": today, "date_to": today}
        )
        statement.action_invoice()
        self.authenticate("reseller_a", "reseller_a")
        page = self.url_open("/my/reseller/sales").text
        month = fields.Datetime.now().strftime("%Y-%m")
        self.assertIn(f'data-month="{month}"', page)
        self.assertRegex(page, r'o_wisp_period_count">3<')
        # 2 x 2.00 + 10.00 sold; commission 20%: 0.80 + 2.00; due 1.60 x 2 + 8.00
        self.assertEqual(amount_of(page, "o_wisp_period_commission"), "2.80")
        self.assertEqual(amount_of(page, "o_wisp_period_due"), "11.20")
        self.assertEqual(page.count("o_wisp_sale_row"), 3)
        page = self.url_open(f"/my/reseller/sales?month={month}").text
        self.assertEqual(page.count("o_wisp_sale_row"), 3)

        page = self.url_open("/my/reseller/statements").text
        self.assertIn(f'data-statement-id="{statement.id}"', page)
        self.assertRegex(page, r'o_wisp_total_count">3<')
        self.assertEqual(amount_of(page, "o_wisp_total_sales"), "14.00")
        self.assertEqual(amount_of(page, "o_wisp_total_due"), "11.20")
        invoice = statement.invoice_id
        self.assertIn(f"/my/invoices/{invoice.id}?report_type=pdf", page)
        invoice.with_user(self.user_a).check_access("read")
        detail = self.url_open(f"/my/reseller/statements/{statement.id}")
        self.assertEqual(detail.status_code, 200)
        self.assertEqual(detail.text.count("o_wisp_sale_row"), 3)
        self.assertIn(invoice.name, detail.text)

    # ---------------------------------------------------------------- signup
    def signup_data(self, **values):
        return {
            "csrf_token": self.csrf("/my/reseller/signup"),
            "contact_name": "Walk-in Customer",
            "email": "walkin@example.com",
            "phone": "0470 11 22 33",
            "street": "3 Market Square",
            "city": "Relay",
            "zip": "1000",
            "plan_id": str(self.plan_20.id),
            "note": "Prefers mornings.",
            **values,
        }

    def test_signup_creates_attributed_request(self):
        self.authenticate("reseller_a", "reseller_a")
        form = self.url_open("/my/reseller/signup").text
        self.assertIn('id="o_wisp_reseller_signup_form"', form)
        self.assertIn(self.plan_20.name, form)
        self.assertNotIn(self.plan_prepaid.name, form)
        response = self.url_open("/my/reseller/signup", data=self.signup_data())
        self.assertEqual(response.status_code, 200)
        created = self.env["wisp.connection.request"].search([("email", "=", "walkin@example.com")])
        self.assertRecordValues(
            created,
            [
                {
                    "source": "reseller",
                    "reseller_id": self.shop_a.id,
                    "contact_name": "Walk-in Customer",
                    "plan_id": self.plan_20.id,
                    "street": "3 Market Square",
                    "zip": "1000",
                    "note": "Prefers mornings.",
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertIn("o_wisp_signup_done", response.text)
        self.assertIn(created.name, response.text)
        self.assertIn(f'data-request-id="{created.id}"', response.text)

        self.authenticate("reseller_b", "reseller_b")
        page = self.url_open(f"/my/reseller/customers?created={created.id}").text
        self.assertNotIn("Walk-in Customer", page)
        self.assertNotIn(created.name, page)
        with self.assertRaises(AccessError):
            created.with_user(self.user_b).read(["contact_name"])

    def forget_attempts(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM wisp_voucher_attempt WHERE client_key = '127.0.0.1'")

    def test_signup_with_promo_code(self):
        promotion = self.env["wisp.promotion"].create(
            {"name": "Shop deal", "value": 20, "code": "SHOP20", "plan_ids": self.plan_50.ids}
        )
        self.addCleanup(self.forget_attempts)  # the wrong code counts on its own cursor
        self.authenticate("reseller_a", "reseller_a")
        with mute_logger("odoo.addons.wisp_billing.models.wisp_voucher_attempt"):
            refused = self.url_open(
                "/my/reseller/signup", data=self.signup_data(promo_code="shop20")
            )
        self.assertEqual(refused.status_code, 400)
        self.assertIn("not valid for the plan Home 20", refused.text)
        self.assertIn('value="3 Market Square"', refused.text, "values are kept")
        response = self.url_open(
            "/my/reseller/signup",
            data=self.signup_data(promo_code="shop20", plan_id=str(self.plan_50.id)),
        )
        self.assertEqual(response.status_code, 200)
        created = self.env["wisp.connection.request"].search([("email", "=", "walkin@example.com")])
        self.assertEqual(created.wisp_promotion_id, promotion)

    def test_signup_bad_input(self):
        self.authenticate("reseller_a", "reseller_a")
        for values, message in (
            ({"plan_id": ""}, "Choose the plan to install."),
            ({"plan_id": str(self.plan_prepaid.id)}, "Choose one of the plans"),
            ({"email": "walkin@"}, "not a valid e-mail"),
            ({"contact_name": ""}, "Name is required."),
        ):
            with self.subTest(values=values):
                response = self.url_open("/my/reseller/signup", data=self.signup_data(**values))
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
                self.assertIn('value="3 Market Square"', response.text, "values are kept")
        self.assertFalse(
            self.env["wisp.connection.request"].search([("street", "=", "3 Market Square")])
        )
