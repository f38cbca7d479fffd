from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import D, WispBillingCase, make_quarterly_plan


@tagged("post_install", "-at_install")
class TestBillingRulesAddons(WispBillingCase):
    """An add-on is priced and billed per its own period, in its own N-month
    blocks, whatever the plan's period: in the run and in the plan-change preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.addon_quarterly = Product.create(
            {
                "name": "TV Pack (quarter)",
                "type": "service",
                "is_wisp_addon": True,
                "taxes_id": [],
                "list_price": 30.0,
                "billing_period": "quarterly",
            }
        )
        cls.plan_quarterly = make_quarterly_plan(cls.env, "Home Quarterly")

    def test_quarterly_addon_on_a_monthly_plan(self):
        with freeze_time("2026-04-01"):
            self.new_service(addon_ids=[Command.set(self.addon_quarterly.ids)])
        april = self.invoices()
        self.assertEqual(
            self.product_totals(april), {self.plan_31: 31.0, self.addon_quarterly: 30.0}
        )
        for month in (5, 6):
            self.assertEqual(self.product_totals(self.bill_month(month)), {self.plan_31: 31.0})
        self.assertEqual(
            self.product_totals(self.bill_month(7)),
            {self.plan_31: 31.0, self.addon_quarterly: 30.0},
        )

    def test_monthly_addon_on_a_quarterly_plan(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(
                plan=self.plan_quarterly, addon_ids=[Command.set(self.addon_ip.ids)]
            )
        self.assertEqual(
            self.product_totals(self.invoices()), {self.plan_quarterly: 90.0, self.addon_ip: 5.0}
        )
        for month in (5, 6):
            self.assertEqual(self.product_totals(self.bill_month(month)), {self.addon_ip: 5.0})
        self.assertEqual(service.billed_until, D(2026, 6, 30), "the plan's own date")
        self.assertEqual(
            self.product_totals(self.bill_month(7)), {self.plan_quarterly: 90.0, self.addon_ip: 5.0}
        )

    def test_first_block_of_an_addon_is_prorated(self):
        with freeze_time("2026-04-16"):
            self.new_service(addon_ids=[Command.set(self.addon_quarterly.ids)])
        # plan: Apr 16-30; add-on: its block Apr 1 - Jun 30 from Apr 16, 10 a month
        self.assertEqual(
            self.product_totals(self.invoices()), {self.plan_31: 15.5, self.addon_quarterly: 25.0}
        )
        for month in (5, 6):
            self.assertEqual(self.product_totals(self.bill_month(month)), {self.plan_31: 31.0})

    def test_termination_credits_each_addon_to_its_own_date(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(addon_ids=[Command.set(self.addon_quarterly.ids)])
        with freeze_time("2026-05-16"):
            service.action_terminate()
        credits = {
            adjustment.product_id: adjustment.amount
            for adjustment in service.billing_adjustment_ids
        }
        # plan billed to Apr 30 is charged May 1-15; the add-on billed to Jun 30 credited
        self.assertAlmostEqual(credits[self.plan_31], round(31 * 15 / 31, 2))
        self.assertAlmostEqual(credits[self.addon_quarterly], round(-(10 * 16 / 31 + 10), 2))

    def test_addon_added_mid_cycle_is_charged_from_that_day(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-16"):
            service.addon_ids = self.addon_ip
        # April is billed in advance: the add-on's April 16-30 rides on May's invoice
        self.assertEqual(
            self.product_totals(self.bill_month(5)),
            {self.plan_31: 31.0, self.addon_ip: round(5.0 + 5 * 15 / 30, 2)},
        )
        self.assertEqual(
            self.product_totals(self.bill_month(6)), {self.plan_31: 31.0, self.addon_ip: 5.0}
        )

    def test_addon_removed_mid_cycle_is_credited_from_that_day(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(
                addon_ids=[Command.set((self.addon_ip | self.addon_quarterly).ids)]
            )
        self.bill_month(5)
        with freeze_time("2026-05-16"):
            service.addon_ids = False
        credits = {a.product_id: a.amount for a in service.billing_adjustment_ids}
        # the static IP billed to May 31, the quarterly add-on to Jun 30: both
        # credited from May 16
        self.assertAlmostEqual(credits[self.addon_ip], round(-5 * 16 / 31, 2))
        self.assertAlmostEqual(credits[self.addon_quarterly], round(-(10 * 16 / 31 + 10), 2))
        self.assertFalse(service.wisp_addon_billed_until)
        self.assertEqual(
            self.product_totals(self.bill_month(6)),
            {
                self.plan_31: 31.0,
                self.addon_ip: round(-5 * 16 / 31, 2),
                self.addon_quarterly: round(-(10 * 16 / 31 + 10), 2),
            },
        )

    def test_addon_change_before_activation_or_while_paused_settles_nothing(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(state="confirmed")
            service.addon_ids = self.addon_ip
        self.assertFalse(service.billing_adjustment_ids)
        with freeze_time("2026-04-01"):
            service.action_activate()
        with freeze_time("2026-04-10"):
            service.action_pause()
        before = service.billing_adjustment_ids
        with freeze_time("2026-04-12"):
            service.addon_ids = False
        self.assertEqual(service.billing_adjustment_ids, before)

    def assert_preview_agrees_with_run(self, service, plan, day, regular):
        """The change on ``day`` as previewed is what the next invoice carries
        beyond ``regular`` (the next cycle's own charges)."""
        with freeze_time(day):
            preview = service._wisp_plan_change_preview(plan, day)
            service.action_change_plan(plan)
        credit = -sum(service.billing_adjustment_ids.mapped("amount"))
        self.assertAlmostEqual(preview["credit"], round(credit, 2))
        next_run = day.replace(day=1, month=day.month + 1)
        with freeze_time(next_run):
            invoice = self.bill(next_run)
        self.assertAlmostEqual(invoice.amount_total, round(preview["net"] + regular, 2))
        return preview

    def test_preview_and_run_agree_with_a_quarterly_addon(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(addon_ids=[Command.set(self.addon_quarterly.ids)])
        self.bill_month(5)
        preview = self.assert_preview_agrees_with_run(service, self.plan_62, D(2026, 5, 16), 62.0)
        # plan 31 -> 62 from May 16; the add-on's block restarts at the change's
        # cycle (May 1 - Jul 31): credited to Jun 30, charged again to Jul 31
        self.assertAlmostEqual(preview["credit"], round(31 * 16 / 31 + 10 * 16 / 31 + 10, 2))
        self.assertAlmostEqual(preview["charge"], round(62 * 16 / 31 + 10 * 16 / 31 + 20, 2))
        with freeze_time("2026-07-01"):
            self.assertEqual(self.product_totals(self.bill(D(2026, 7, 1))), {self.plan_62: 62.0})

    def test_preview_and_run_agree_with_a_monthly_addon_on_a_quarterly_plan(self):
        with freeze_time("2026-04-01"):
            service = self.new_service(
                plan=self.plan_quarterly, addon_ids=[Command.set(self.addon_ip.ids)]
            )
        self.bill_month(5)
        # to a monthly plan on May 16: the quarter is credited from May 16 to Jun 30
        preview = self.assert_preview_agrees_with_run(service, self.plan_31, D(2026, 5, 16), 36.0)
        self.assertAlmostEqual(preview["credit"], round(30 * 16 / 31 + 30 + 5 * 16 / 31, 2))
        self.assertAlmostEqual(preview["charge"], round(31 * 16 / 31 + 5 * 16 / 31, 2))
