from odoo.exceptions import AccessError, ValidationError
from odoo.service.model import call_kw

from .common import WispSubscriberCase, make_portal_user, overage_plan


class TestUsagePeriod(WispSubscriberCase):
    """The rules of usage charges (the plan's) and the ledger that applies them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flex = overage_plan(cls.env)
        cls.service = cls.env["wisp.service"].create(
            {"partner_id": cls.subscriber.id, "plan_id": cls.flex.id, "site_id": cls.site.id}
        )
        cls.portal_user = make_portal_user(cls.env, "t_usage_portal", cls.subscriber)

    def period(self, used_mb, plan=None, service=None, **vals):
        return (
            self.env["wisp.service.usage.period"]
            .sudo()
            .create(
                {
                    "service_id": (service or self.service).id,
                    "plan_id": (plan or self.flex).id,
                    "date_start": "2030-01-05",
                    "date_end": "2030-02-04",
                    "allowance_mb": 100_000.0,
                    "used_mb": used_mb,
                    **vals,
                }
            )
        )

    def charge(self, used_mb, plan=None):
        period = self.period(used_mb, plan)
        result = period._overage_charge(), period.overage_amount
        period.unlink()
        return result

    def test_at_the_cap_boundary(self):
        """Exactly at the allowance nothing is charged; one MB over is one started GB."""
        self.assertEqual(self.charge(99_000.0), ((0.0, 0.0), 0.0))
        self.assertEqual(self.charge(100_000.0), ((0.0, 0.0), 0.0), "exactly at the cap")
        self.assertEqual(self.charge(100_001.0), ((1.0, 2.0), 2.0), "one MB over: 1 GB")
        self.assertEqual(self.charge(100_000.1), ((1.0, 2.0), 2.0), "the smallest reading over")
        self.assertEqual(self.charge(101_000.0), ((1.0, 2.0), 2.0), "exactly one GB over")
        self.assertEqual(self.charge(101_000.1), ((2.0, 2.0), 4.0))
        self.assertEqual(self.charge(103_200.0), ((4.0, 2.0), 8.0))

    def test_prorated_rounds_up_to_the_quantity_precision(self):
        self.flex.overage_rounding = "prorated"
        self.assertEqual(self.charge(100_000.0)[1], 0.0, "exactly at the cap")
        self.assertEqual(self.charge(100_001.0), ((0.01, 2.0), 0.02), "one MB over: 0.01 GB")
        self.assertEqual(self.charge(103_200.0), ((3.2, 2.0), 6.4))
        self.assertEqual(self.charge(103_201.0), ((3.21, 2.0), 6.42))

    def test_charged_up_to_a_maximum_then_fair_use(self):
        self.flex.product_tmpl_id.write(
            {"data_cap_policy": "overage_then_throttle", "overage_max_gb": 5}
        )
        self.assertEqual(self.charge(104_500.0)[0], (5.0, 2.0))
        self.assertEqual(self.charge(180_000.0)[0], (5.0, 2.0), "nothing past the maximum")
        self.assertEqual(self.flex.product_tmpl_id._wisp_throttle_mb(), 105_000)

    def test_next_tier_charges_the_price_difference_once(self):
        bigger = overage_plan(
            self.env, "Test Flex 100", price=55.0, data_cap_gb=300, data_cap_policy="throttle"
        )
        self.flex.product_tmpl_id.write(
            {"data_cap_policy": "next_tier", "overage_next_plan_id": bigger.product_tmpl_id.id}
        )
        self.assertEqual(self.charge(100_000.0)[1], 0.0)
        self.assertEqual(self.charge(100_001.0), ((1.0, 15.0), 15.0))
        self.assertEqual(self.charge(250_000.0), ((1.0, 15.0), 15.0), "one step, whatever over")
        self.assertEqual(self.flex.product_tmpl_id._wisp_throttle_mb(), 300_000)
        self.assertIn("Test Flex 100", self.flex.wisp_overage_label)

    def test_throttle_points_by_policy(self):
        template = self.flex.product_tmpl_id
        self.assertIsNone(template._wisp_throttle_mb(), "per GB: never throttled")
        template.data_cap_policy = "throttle"
        self.assertEqual(template._wisp_throttle_mb(), 100_000)
        self.assertEqual(self.charge(150_000.0)[1], 0.0, "fair use charges nothing")

    def test_plan_rules_refuse_incomplete_charges(self):
        with self.assertRaises(ValidationError):
            overage_plan(self.env, "No price", overage_price_per_gb=0.0)
        with self.assertRaises(ValidationError):
            overage_plan(self.env, "No max", data_cap_policy="overage_then_throttle")
        with self.assertRaises(ValidationError):
            overage_plan(self.env, "No tier", data_cap_policy="next_tier")
        cheaper = overage_plan(self.env, "Cheaper", price=10.0, data_cap_gb=500)
        with self.assertRaises(ValidationError):
            overage_plan(
                self.env,
                "Cheaper tier",
                data_cap_policy="next_tier",
                overage_next_plan_id=cheaper.product_tmpl_id.id,
            )

    def test_state_follows_the_cycle(self):
        period = self.period(100_500.0)
        self.assertEqual((period.state, period.over_mb), ("open", 500.0))
        period.is_closed = True
        self.assertEqual(period.state, "closed")

    def test_nobody_writes_the_ledger_by_rpc(self):
        """Measured figures and state are the system's: every role is refused, by RPC."""
        period = self.period(100_500.0)
        for user in (self.support, self.billing, self.network, self.manager, self.portal_user):
            Period = self.env["wisp.service.usage.period"].with_user(user)
            for values in ({"used_mb": 1.0}, {"is_closed": True}):
                with self.subTest(user=user.login, values=values), self.assertRaises(AccessError):
                    call_kw(Period, "write", [period.ids, values], {})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(Period, "create", [{"service_id": self.service.id}], {})
        self.assertEqual((period.used_mb, period.state), (100_500.0, "open"))

    def test_portal_reads_only_its_own_periods(self):
        mine = self.period(100_500.0)
        other_service = self.env["wisp.service"].create(
            {
                "partner_id": self.other_subscriber.id,
                "plan_id": self.flex.id,
                "site_id": self.site.id,
            }
        )
        theirs = self.period(120_000.0, service=other_service)
        Period = self.env["wisp.service.usage.period"].with_user(self.portal_user)
        self.assertEqual(Period.search([]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.portal_user).read(["used_mb"])
        self.assertEqual(mine.with_user(self.billing).read(["used_mb"])[0]["used_mb"], 100_500.0)
