from freezegun import freeze_time

from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..tools.allocation import allocate
from .common import D, WispBillingCase


class WispBundleCase(WispBillingCase):
    """A triple-play bundle (62 + 10 + 8 alone, 55 together, for 12 months)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan_voip = make_plan(cls.env, "Phone", 8.0, taxes_id=[], service_type="voip")
        # 62 + 10 + 8 = 80 alone, 55 together; 12 months, leaving costs half the rest
        cls.bundle = cls.env["wisp.bundle"].create(
            {
                "name": "Triple Play",
                "price": 55.0,
                "plan_ids": [Command.set((cls.plan_62 | cls.plan_tv | cls.plan_voip).ids)],
                "wisp_minimum_term_months": 12,
                "wisp_termination_fee_type": "percent",
                "wisp_termination_fee_percent": 50,
            }
        )
        cls.support_user = new_test_user(
            cls.env, login="t_bundle_support", groups="wisp_subscriber.group_wisp_support"
        )

    def sell(self, activate=True, partner=None):
        """The bundle sold to the subscriber, its services activated (today, frozen by
        the caller): ``(sale, {service type: service})``."""
        sale = self.env["wisp.service.bundle"].create(
            {"bundle_id": self.bundle.id, "partner_id": (partner or self.subscriber).id}
        )
        if activate:
            sale.service_ids.action_confirm()
            sale.service_ids.action_activate()
        return sale, {service.service_type: service for service in sale.service_ids}

    def amounts(self, invoice):
        """``{(service type, product name, adjustment?): amount}`` of ``invoice``."""
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        return {
            (
                line.wisp_service_id.service_type,
                line.product_id.name,
                bool(line.wisp_adjustment_id),
            ): round(line.price_subtotal, 2)
            for line in lines
        }


@tagged("post_install", "-at_install")
class TestBillingRulesBundles(WispBundleCase):
    """A bundle's price is split over its services by their standalone prices; a
    service leaving it re-prices the others from that day, settled like a plan change."""

    def test_allocation_sums_to_the_total(self):
        round2 = self.company.currency_id.round
        self.assertEqual(allocate(10.0, [1, 1, 1], round2), [3.34, 3.33, 3.33])
        self.assertEqual(allocate(0.0, [5, 3], round2), [0.0, 0.0])
        self.assertEqual(allocate(9.0, [0, 0], round2), [4.5, 4.5])
        # 55 x 62/80 = 42.625, 55 x 10/80 = 6.875, 55 x 8/80 = 5.5: 55.01 once rounded,
        # the cent too many comes off the largest line
        self.assertEqual(allocate(55.0, [62, 10, 8], round2), [42.62, 6.88, 5.5])

    def test_selling_orders_the_services_in_draft(self):
        # "Sell Bundle" on the subscriber, by a support agent: the sale form in a dialog
        Sale = self.env["wisp.service.bundle"].with_user(self.support_user)
        with Form(Sale.with_context(default_partner_id=self.subscriber.id)) as form:
            form.bundle_id = self.bundle
            self.assertEqual(form.price, 55.0, "the bundle's price today")
        sale = form.record
        services = sale.sudo().service_ids
        self.assertEqual(services.mapped("state"), ["draft"] * 3)
        self.assertEqual(services.plan_id, self.plan_62 | self.plan_tv | self.plan_voip)
        self.assertEqual(sale.price, 55.0)
        self.assertEqual(
            sorted(services.mapped("wisp_bundle_price")), [5.5, 6.88, 42.62], "shown per service"
        )
        with self.assertRaises(UserError):
            services[:1].unlink()

    def test_bundle_invoiced_at_its_price_split_per_service(self):
        with freeze_time("2026-04-01"):
            sale, services = self.sell()
        april = self.invoices()
        self.assertEqual(len(april), 1)
        self.assertEqual(
            self.amounts(april),
            {
                ("internet", "Home 62", False): 42.62,
                ("iptv", "TV", False): 6.88,
                ("voip", "Phone", False): 5.5,
            },
        )
        self.assertAlmostEqual(april.amount_total, 55.0)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.assertAlmostEqual(may.amount_total, 55.0)
        self.assertEqual(services["internet"].wisp_term_end, D(2027, 3, 31))
        self.assertEqual(sale.state, "active")

    def test_bundle_broken_mid_cycle_by_a_termination(self):
        """TV terminated on 11 April: its 20 days billed at its share are credited,
        Internet and Phone credited at theirs and billed at their own prices from
        that day; the bundle's fee is half its price for the rest of its term."""
        with freeze_time("2026-04-01"):
            sale, services = self.sell()
        with freeze_time("2026-04-11"):
            self.assertAlmostEqual(services["iptv"].wisp_early_termination_fee, 320.83)
            services["iptv"].action_terminate()
        self.assertEqual(sale.state, "broken")
        self.assertEqual(sale.break_date, D(2026, 4, 11))
        self.assertFalse(any(sale.service_ids.mapped("wisp_term_end")), "the term is paid")
        self.assertFalse(services["internet"].wisp_bundle_price)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.assertEqual(
            self.amounts(may),
            {
                # 42.62 x 20/30, 6.88 x 20/30, 5.50 x 20/30 credited
                ("internet", "Home 62", True): -28.41,
                ("iptv", "TV", True): -4.59,
                ("voip", "Phone", True): -3.67,
                # 55 x (20/30 + 11 cycles) / 2, to the end of the term (31 March 2027)
                ("iptv", "Early Termination Fee", True): 320.83,
                # 11 April to 31 May at the plans' own prices: 62 x 20/30 + 62, 8 x 20/30 + 8
                ("internet", "Home 62", False): 103.33,
                ("voip", "Phone", False): 13.33,
            },
        )
        # before tax: the fee carries the fee product's taxes, as any line its product's
        self.assertAlmostEqual(may.amount_untaxed, 400.82)
        with freeze_time("2026-06-01"):
            june = self.bill(D(2026, 6, 1))
        self.assertAlmostEqual(june.amount_total, 70.0, msg="standalone prices from now on")
        with freeze_time("2026-06-10"):
            services["internet"].action_terminate()
        fees = services["internet"].billing_adjustment_ids.filtered(
            lambda adj: adj.product_id.name == "Early Termination Fee"
        )
        self.assertFalse(fees, "the bundle's fee is charged once")

    def test_plan_change_out_of_the_bundle_is_invoiced_as_previewed(self):
        with freeze_time("2026-04-01"):
            sale, services = self.sell()
        internet = services["internet"]
        with freeze_time("2026-04-11"):
            preview = internet._wisp_plan_change_preview(self.plan_31, D(2026, 4, 11))
            adjustments = self.env["wisp.billing.adjustment"].search(
                [("partner_id", "=", self.subscriber.id)]
            )
            self.assertFalse(adjustments, "a preview changes nothing")
            self.assertEqual(sale.state, "active")
            internet.with_user(self.billing_user).action_change_plan(self.plan_31)
        self.assertEqual(sale.state, "broken")
        # credits at the shares: 28.41 + 4.59 + 3.67; charges at the own prices to the end
        # of April: 31 x 20/30, 10 x 20/30, 8 x 20/30, and the fee
        self.assertAlmostEqual(preview["credit"], 36.67)
        self.assertAlmostEqual(preview["charge"], 20.67 + 6.67 + 5.33 + 320.83)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        # May at the own prices (31 + 10 + 8) and what the change cost, as previewed
        self.assertAlmostEqual(may.amount_untaxed, 49.0 + preview["net"])
        lines = may.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertAlmostEqual(
            -sum(lines.filtered(lambda line: line.price_subtotal < 0).mapped("price_subtotal")),
            preview["credit"],
        )

    def test_two_bundles_are_priced_apart(self):
        with freeze_time("2026-04-01"):
            first, first_services = self.sell()
            second, second_services = self.sell()
        self.assertAlmostEqual(sum(self.invoices().mapped("amount_total")), 110.0)
        with freeze_time("2026-04-11"):
            first_services["voip"].action_terminate()
        self.assertEqual((first.state, second.state), ("broken", "active"))
        self.assertEqual(second_services["internet"].wisp_bundle_price, 42.62)
        self.assertFalse(second_services["internet"].billing_adjustment_ids)

    def test_unbilled_component_leaving_breaks_the_bundle_at_no_cost(self):
        with freeze_time("2026-04-01"):
            sale, services = self.sell(activate=False)
            services["voip"].action_terminate()
        self.assertEqual(sale.state, "broken")
        self.assertFalse(
            self.env["wisp.billing.adjustment"].search([("partner_id", "=", self.subscriber.id)])
        )
        with freeze_time("2026-04-01"):
            (services["internet"] | services["iptv"]).action_confirm()
            (services["internet"] | services["iptv"]).action_activate()
        self.assertAlmostEqual(self.invoices().amount_total, 72.0, msg="own prices: 62 + 10")
        self.assertFalse(services["internet"].wisp_term_end, "a broken bundle has no term")

    def test_roles_cannot_move_bundle_prices(self):
        """Bundles are the managers'; what prices a service is the code's."""
        with freeze_time("2026-04-01"):
            sale, services = self.sell()
        for user in (self.support_user, self.billing_user):
            with self.assertRaises(AccessError):
                self.bundle.with_user(user).write({"price": 1.0})
            with self.assertRaises(AccessError):
                services["internet"].with_user(user).write({"wisp_bundle_sale_id": False})
            with self.assertRaises(AccessError):
                services["internet"].with_user(user).write({"wisp_term_end": False})
        with self.assertRaises(AccessError):
            sale.with_user(self.support_user).write({"price": 1.0})
        with self.assertRaises(AccessError):
            self.env["wisp.bundle"].with_user(self.billing_user).create(
                {"name": "Cheap", "price": 1.0, "plan_ids": [Command.set(self.plan_31.ids)]}
            )
        with self.assertRaises(UserError):
            sale.with_user(self.billing_user).write({"bundle_id": self.bundle.id})
        # readable by staff
        self.assertEqual(self.bundle.with_user(self.support_user).price, 55.0)


@tagged("post_install", "-at_install")
class TestBundleRpc(WispBundleCase, HttpCase):
    """A support agent's own JSON-RPC calls, as the web client sends them."""

    def _call(self, model, method, args):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": {}},
        )

    @mute_logger("odoo.http")
    def test_support_cannot_price_bundles_over_rpc(self):
        with freeze_time("2026-04-01"):
            sale, services = self.sell()
        self.authenticate(self.support_user.login, self.support_user.login)
        calls = [
            ("wisp.bundle", "write", [self.bundle.ids, {"price": 1.0}]),
            ("wisp.service.bundle", "write", [sale.ids, {"price": 1.0}]),
            ("wisp.service", "write", [services["internet"].ids, {"wisp_bundle_sale_id": False}]),
        ]
        for model, method, args in calls:
            with self.subTest(model=model), self.assertRaises(JsonRpcException) as error:
                self._call(model, method, args)
            self.assertEqual(error.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual((self.bundle.price, sale.price), (55.0, 55.0))
        self.assertEqual(services["internet"].wisp_bundle_sale_id, sale)
