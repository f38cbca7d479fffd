from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import WispBillingCase
from .test_voucher import make_prepaid_plan, make_resellers


class WispVoucherSecurityCommon(WispBillingCase):
    """Two resellers, a plain portal subscriber, support, and an unpaid online purchase."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hotspot = make_prepaid_plan(cls.env, "Secure Day", duration=1, price=5.0)
        make_resellers(cls, "t_sec_reseller")
        cls.portal_user = make_portal_user(cls.env, "t_sec_portal", cls.subscriber)
        cls.support_user = new_test_user(
            cls.env, login="t_sec_support", groups="wisp_subscriber.group_wisp_support"
        )
        cls.purchase = cls.env["wisp.voucher.purchase"]._wisp_create_purchase(
            cls.hotspot, name="Someone Else", email="someone.else@example.com"
        )

    def batch(self, quantity=2, reseller=None, **vals):
        batch = self.env["wisp.voucher.batch"].create(
            {
                "name": "Secure batch",
                "plan_id": self.hotspot.id,
                "quantity": quantity,
                "reseller_id": reseller and reseller.id,
                **vals,
            }
        )
        batch.action_generate()
        if reseller:
            batch.action_assign_reseller()
        self.env.invalidate_all()  # what a portal request reads, it fetches
        return batch

    def sales_of(self, vouchers):
        return self.env["wisp.voucher.sale"].search([("voucher_id", "in", vouchers.ids)])


@tagged("post_install", "-at_install")
class TestSecurityVoucherPurchase(WispVoucherSecurityCommon):
    def test_nobody_but_billing_cancels_or_delivers_a_purchase(self):
        invoice = self.purchase.invoice_id
        for user in (self.portal_user, self.user_a, self.support_user):
            for method in ("action_cancel", "action_deliver"):
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(self.purchase.with_user(user), method)()
        self.assertEqual(self.purchase.state, "draft")
        self.assertEqual(invoice.state, "posted")
        self.purchase.with_user(self.billing_user).action_cancel()
        self.assertEqual(self.purchase.state, "cancelled")
        self.assertEqual(invoice.state, "cancel")

    def test_purchase_of_another_company_is_out_of_reach(self):
        other = self.setup_other_company()["company"]
        self.billing_user.write({"company_ids": [Command.set(other.ids)], "company_id": other.id})
        with self.assertRaises(AccessError):
            self.purchase.with_user(self.billing_user).action_cancel()
        self.assertEqual(self.purchase.state, "draft")


@tagged("post_install", "-at_install")
class TestSecurityVoucherSale(WispVoucherSecurityCommon):
    def test_reseller_cannot_sell_at_a_negative_or_inflated_price(self):
        batch = self.batch(reseller=self.reseller_a)
        voucher = batch.voucher_ids[0].with_user(self.user_a)
        for price in (-500, -0.01, 5.01, 1000, "5"):
            with self.subTest(price=price), self.assertRaises(UserError):
                voucher.action_sell(price=price)
        self.assertEqual(voucher.state, "assigned")
        self.assertFalse(self.sales_of(batch.voucher_ids))

        # a discount on the printed price is the reseller's own commission
        voucher.action_sell(price=4.5)
        sale = voucher.sale_id
        self.assertEqual((sale.price, sale.wholesale_amount, sale.amount_due), (4.5, 4.0, 4.0))
        self.assertAlmostEqual(sale.commission, 0.5)
        batch.voucher_ids[1].with_user(self.user_a).action_sell()
        self.assertEqual(batch.voucher_ids[1].sold_price, 5.0)

    def test_staff_cannot_sell_at_a_negative_price(self):
        voucher = self.batch(quantity=1).voucher_ids.with_user(self.billing_user)
        with self.assertRaises(UserError):
            voucher.action_sell(price=-1.0)
        self.assertEqual(voucher.state, "new")
        voucher.action_sell(price=0.0)  # given away
        self.assertEqual((voucher.state, voucher.sale_id.price), ("sold", 0.0))

    @mute_logger("odoo.sql_db")
    def test_a_negative_sale_price_never_reaches_the_database(self):
        voucher = self.batch(quantity=1).voucher_ids
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            voucher._wisp_record_sales(price=-1.0)
            self.env.flush_all()

    def test_portal_and_support_cannot_sell_or_void(self):
        vouchers = self.batch(quantity=2).voucher_ids
        for user in (self.portal_user, self.support_user):
            for method in ("action_sell", "action_void"):
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(vouchers[0].with_user(user), method)()
        with self.assertRaises(AccessError):
            vouchers[0].with_user(self.user_a).action_void()
        self.assertEqual(vouchers.mapped("state"), ["new", "new"])
        self.assertFalse(self.sales_of(vouchers))
        vouchers[0].with_user(self.billing_user).action_void()
        self.assertEqual(vouchers[0].state, "void")

    def test_billing_cannot_rewrite_what_the_code_sets(self):
        batch = self.batch(quantity=2, reseller_id=self.reseller_a.id, wholesale_price=4.0)
        batch.with_user(self.billing_user).action_assign_reseller()
        sold, stock = batch.voucher_ids
        sold.with_user(self.user_a).action_sell()
        other_batch = self.batch(quantity=1, price=50.0)
        today = fields.Date.context_today(self.env.user)
        statement = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.reseller_a.id, "date_from": today, "date_to": today}
        )
        rewrites = [
            (sold, {"state": "assigned"}),
            (sold, {"sold_price": 0.0}),
            (stock, {"state": "new", "reseller_id": False}),
            (stock, {"reseller_id": self.reseller_b.id}),
            (stock, {"batch_id": other_batch.id}),
            (stock, {"use_by": "2099-12-31"}),
            (self.purchase, {"state": "paid"}),
            (self.purchase, {"amount": 0.0}),
            (self.purchase, {"partner_id": self.subscriber.id}),
            (statement, {"state": "invoiced"}),
            (statement, {"sale_ids": [Command.clear()]}),
        ]
        for record, values in rewrites:
            with self.subTest(record=record, values=values), self.assertRaises(AccessError):
                record.with_user(self.billing_user).write(values)
        self.assertEqual((sold.state, sold.sold_price), ("sold", 5.0))
        self.assertEqual(
            (stock.state, stock.reseller_id, stock.batch_id), ("assigned", self.reseller_a, batch)
        )
        self.assertEqual((self.purchase.state, self.purchase.amount), ("draft", 5.0))
        self.assertEqual((statement.state, statement.sale_count), ("draft", 1))


@tagged("post_install", "-at_install")
class TestSecurityVoucherBatchAndStatement(WispVoucherSecurityCommon):
    def test_reseller_and_support_cannot_run_batches(self):
        draft = self.env["wisp.voucher.batch"].create(
            {"name": "Draft", "plan_id": self.hotspot.id, "quantity": 3}
        )
        stocked = self.batch(quantity=1, reseller_id=self.reseller_a.id)
        calls = [
            (draft, "action_generate"),
            (stocked, "action_assign_reseller"),
            (stocked, "action_cancel"),
            (stocked, "action_print_cards"),
            (stocked, "action_view_vouchers"),
        ]
        for user in (self.user_a, self.portal_user, self.support_user):
            for batch, method in calls:
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(batch.with_user(user), method)()
        self.assertFalse(draft.voucher_ids)
        self.assertEqual(draft.state, "draft")
        self.assertEqual((stocked.state, stocked.voucher_ids.state), ("generated", "new"))
        self.assertFalse(self.env["ir.attachment"].search([("res_model", "=", stocked._name)]))

    def test_reseller_cannot_collect_or_invoice_its_statement(self):
        batch = self.batch(quantity=2, reseller=self.reseller_a)
        batch.voucher_ids.with_user(self.user_a).action_sell()
        today = fields.Date.context_today(self.env.user)
        statement = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.reseller_a.id, "date_from": today, "date_to": today}
        )
        for user in (self.user_a, self.user_b, self.portal_user, self.support_user):
            for method in ("action_collect", "action_invoice"):
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(statement.with_user(user), method)()
        self.assertEqual(statement.state, "draft")
        self.assertFalse(
            self.env["account.move"].search([("partner_id", "=", self.reseller_a.id)]),
            "no invoice was made, not even one rolled back later",
        )
        with self.assertRaises(AccessError):
            self.env["wisp.reseller.statement"].with_user(self.user_a).create(
                {"reseller_id": self.reseller_a.id, "date_from": today, "date_to": today}
            )

    def test_billing_collects_and_invoices_statements(self):
        batch = self.batch(quantity=2, reseller=self.reseller_a)
        batch.voucher_ids.with_user(self.user_a).action_sell()
        today = fields.Date.context_today(self.env.user)
        statement = (
            self.env["wisp.reseller.statement"]
            .with_user(self.billing_user)
            .create({"reseller_id": self.reseller_a.id, "date_from": today, "date_to": today})
        )
        self.assertEqual(statement.sale_count, 2)
        statement.action_invoice()
        self.assertEqual(statement.state, "invoiced")
        self.assertAlmostEqual(statement.invoice_id.amount_total, 8.0)


@tagged("post_install", "-at_install")
class TestSecurityVoucherRpc(WispVoucherSecurityCommon, HttpCase):
    """The portal user's own JSON-RPC calls, as a browser console would send them."""

    def _call(self, model, method, ids):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": [ids], "kwargs": {}},
        )

    @mute_logger("odoo.http")
    def test_portal_user_cannot_cancel_a_purchase_over_rpc(self):
        self.authenticate(self.portal_user.login, self.portal_user.login)
        for method in ("action_cancel", "_wisp_cancel", "_wisp_deliver"):
            with self.subTest(method=method):
                with self.assertRaises(JsonRpcException) as error:
                    self._call("wisp.voucher.purchase", method, self.purchase.ids)
                self.assertEqual(error.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual(self.purchase.state, "draft")
        self.assertEqual(self.purchase.invoice_id.state, "posted")
