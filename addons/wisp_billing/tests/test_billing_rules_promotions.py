from freezegun import freeze_time

from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingRulesPromotions(WispBillingCase):
    """Promotions: a discount line per promotion and period, prorated like the plan,
    settled with the plan; loyalty by a daily cron; sign-up codes; temporary add-ons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Promotion = cls.env["wisp.promotion"]
        cls.half = Promotion.create(
            {
                "name": "Half price",
                "discount_type": "percent",
                "value": 50,
                "duration_cycles": 3,
                "code": " half3 ",
            }
        )
        cls.ten_off = Promotion.create(
            {"name": "Ten off", "discount_type": "fixed", "value": 10, "duration_cycles": 1}
        )
        cls.loyalty = Promotion.create(
            {
                "name": "Loyal",
                "kind": "loyalty",
                "discount_type": "percent",
                "value": 10,
                "loyalty_months": 12,
            }
        )
        cls.boost = cls.env["product.product"].create(
            {"name": "Boost", "type": "service", "is_wisp_addon": True, "list_price": 5.0}
        )

    def give(self, service, promotion, **vals):
        return self.env["wisp.service.promotion"].create(
            {"service_id": service.id, "promotion_id": promotion.id, **vals}
        )

    def ordered_with(self, promotion, day, plan=None):
        """A service ordered with ``promotion``, activated (and billed) on ``day``."""
        with freeze_time(day):
            service = self.new_service(plan=plan, state="confirmed")
            self.give(service, promotion)
            service.action_activate()
        return service

    def discounts(self, invoice):
        """[(period start, period end, amount)] of the invoice's promotion lines (the
        negative ones that are not pending adjustments)."""
        return [
            (line.wisp_period_start, line.wisp_period_end, line.price_subtotal)
            for line in invoice.invoice_line_ids
            if line.display_type == "product"
            and line.price_subtotal < 0
            and not line.wisp_adjustment_id
        ]

    def temporary_addon(self, service, start, end, product=None):
        """``product`` (the speed boost by default) on ``service`` from ``start`` to ``end``."""
        return self.env["wisp.temporary.addon"].create(
            {
                "service_id": service.id,
                "product_id": (product or self.boost).id,
                "date_start": start,
                "date_end": end,
            }
        )

    def test_percent_for_three_cycles(self):
        service = self.ordered_with(self.half, "2026-04-01")
        application = service.wisp_promotion_ids
        self.assertEqual(
            (application.date_start, application.date_end), (D(2026, 4, 1), D(2026, 6, 30))
        )
        first = self.invoices()
        self.assertEqual(self.discounts(first), [(D(2026, 4, 1), D(2026, 4, 30), -15.5)])
        self.assertAlmostEqual(first.amount_total, 15.5)
        for month in (5, 6):
            with freeze_time(f"2026-{month:02d}-01"):
                invoice = self.bill(D(2026, month, 1))
            self.assertAlmostEqual(invoice.amount_total, 15.5)
        with freeze_time("2026-07-01"):
            july = self.bill(D(2026, 7, 1))
        self.assertFalse(self.discounts(july))
        self.assertAlmostEqual(july.amount_total, 31.0)

    def test_promotion_ending_mid_cycle(self):
        # three cycles from April 16: the last discounted day is July 15
        service = self.ordered_with(self.half, "2026-04-16")
        self.assertEqual(service.wisp_promotion_ids.date_end, D(2026, 7, 15))
        self.assertEqual(self.discounts(self.invoices()), [(D(2026, 4, 16), D(2026, 4, 30), -7.75)])
        for month in (5, 6):
            with freeze_time(f"2026-{month:02d}-01"):
                self.bill(D(2026, month, 1))
        with freeze_time("2026-07-01"):
            july = self.bill(D(2026, 7, 1))
        # July is charged whole; half of its first 15 days of 31, to the cent
        self.assertEqual(self.discounts(july), [(D(2026, 7, 1), D(2026, 7, 15), -7.5)])
        self.assertAlmostEqual(july.amount_total, 23.5)

    def test_fixed_discount_is_prorated_and_never_above_the_plan(self):
        service = self.ordered_with(self.ten_off, "2026-04-11")
        # April 11-30: 20 days of 30; the cycle's part after May 10 is not discounted
        self.assertEqual(self.discounts(self.invoices()), [(D(2026, 4, 11), D(2026, 4, 30), -6.67)])
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.assertEqual(self.discounts(may), [(D(2026, 5, 1), D(2026, 5, 10), -3.23)])
        huge = self.env["wisp.promotion"].create(
            {"name": "Huge", "discount_type": "fixed", "value": 100, "duration_cycles": 1}
        )
        self.give(service, huge)
        with freeze_time("2026-06-01"):
            june = self.bill(D(2026, 6, 1))
        self.assertEqual(self.discounts(june), [(D(2026, 6, 1), D(2026, 6, 30), -31.0)])
        self.assertAlmostEqual(june.amount_total, 0.0)

    def test_plan_change_mid_cycle_settles_the_discount(self):
        service = self.ordered_with(self.half, "2026-04-01")
        with freeze_time("2026-04-11"):
            service.action_change_plan(self.plan_62)
        # the days credited give their discount back: nothing is discounted twice
        amounts = sorted(service.billing_adjustment_ids.mapped("amount"))
        self.assertEqual(amounts, [round(-31 * 20 / 30, 2), round(31 * 20 / 30 / 2, 2)])
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        # April 11 - May 31 at the new plan, half price (the promotion runs to June 30)
        self.assertEqual(self.discounts(may), [(D(2026, 4, 11), D(2026, 5, 31), -51.67)])
        paid = self.invoices()[0].amount_total + may.amount_total
        expected = (31 * 10 / 30 + 62 * 20 / 30 + 62) / 2
        self.assertAlmostEqual(paid, expected, delta=0.02)

    def test_billed_promotion_is_kept_as_billed(self):
        service = self.ordered_with(self.half, "2026-04-01")
        application = service.wisp_promotion_ids
        with self.assertRaisesRegex(UserError, "already billed"):
            application.unlink()
        with self.assertRaisesRegex(UserError, "already billed"):
            application.date_start = D(2026, 6, 1)
        with self.assertRaisesRegex(UserError, "keeps its terms"):
            self.half.value = 40
        # one given but not billed yet may still be taken back
        self.give(service, self.ten_off).unlink()

    def test_termination_reverses_the_discount_of_credited_days(self):
        service = self.ordered_with(self.half, "2026-04-01")
        with freeze_time("2026-04-21"):
            service.action_terminate()
        self.assertAlmostEqual(
            sum(service.billing_adjustment_ids.mapped("amount")),
            round(-31 * 10 / 30, 2) + round(31 * 10 / 30 / 2, 2),
        )

    def test_promotion_for_other_plans_stops_at_a_plan_change(self):
        self.half.plan_ids = self.plan_31
        service = self.ordered_with(self.half, "2026-04-01")
        with freeze_time("2026-04-16"):
            service.action_change_plan(self.plan_62)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.assertFalse(self.discounts(may), "the new plan is not discounted")

    def test_promotion_cannot_start_on_days_already_billed(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with self.assertRaises(UserError):
            self.give(service, self.ten_off, date_start=D(2026, 4, 15))
        # given later, it starts with the first day not billed yet
        with freeze_time("2026-04-15"):
            application = self.give(service, self.ten_off)
        self.assertEqual(application.date_start, D(2026, 5, 1))

    def test_loyalty_after_twelve_months_once(self):
        with freeze_time("2025-04-01"):
            service = self.new_service()
        # billed in advance up to the end of April 2026 when it reaches a year
        service.sudo().billed_until = D(2026, 4, 30)
        with freeze_time("2026-03-31"):
            self.env["wisp.promotion"]._cron_apply_loyalty()
        self.assertFalse(service.wisp_promotion_ids)
        with freeze_time("2026-04-02"):
            self.env["wisp.promotion"]._cron_apply_loyalty()
            self.env["wisp.promotion"]._cron_apply_loyalty()
        application = service.wisp_promotion_ids
        self.assertEqual(application.promotion_id, self.loyalty)
        self.assertEqual((application.date_start, application.date_end), (D(2026, 5, 1), False))
        self.subscriber.wisp_next_billing_date = D(2026, 5, 1)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.assertEqual(self.discounts(may), [(D(2026, 5, 1), D(2026, 5, 31), -3.1)])

    def test_signup_code_checks(self):
        Promotion = self.env["wisp.promotion"]
        self.assertEqual(Promotion._wisp_from_code("Half3", self.plan_31), self.half)
        for code, message in (("NOPE", "does not exist"), ("", "does not exist")):
            with self.assertRaisesRegex(UserError, message):
                Promotion._wisp_from_code(code, self.plan_31)
        self.half.plan_ids = self.plan_62
        with self.assertRaisesRegex(UserError, "not valid for the plan Home 31"):
            Promotion._wisp_from_code("HALF3", self.plan_31)
        self.half.write({"plan_ids": False, "date_to": D(2026, 1, 31)})
        with freeze_time("2026-02-01"), self.assertRaisesRegex(UserError, "expired"):
            Promotion._wisp_from_code("HALF3", self.plan_31)
        self.half.write({"date_to": False, "max_uses": 1})
        self.give(self.new_service(state="confirmed"), self.half)
        with self.assertRaisesRegex(UserError, "used up"):
            Promotion._wisp_from_code("HALF3", self.plan_31)

    def test_signup_code_goes_from_the_request_to_the_service(self):
        Request = self.env["wisp.connection.request"]
        vals = {"contact_name": "Promo Prospect", "street": "1 Main", "city": "Relay"}
        request = Request.create(
            {**vals, "plan_id": self.plan_31.id, "wisp_promotion_id": self.half.id}
        )
        request.action_convert()
        service = request.service_id
        self.assertEqual(service.wisp_promotion_ids.promotion_id, self.half)
        self.assertFalse(service.wisp_promotion_ids.date_start, "starts at activation")
        # used up in the meantime: the second request's service gets nothing, and says why
        self.half.max_uses = 1
        late = Request.create(
            {**vals, "plan_id": self.plan_31.id, "wisp_promotion_id": self.half.id}
        )
        late.action_convert()
        self.assertFalse(late.service_id.wisp_promotion_ids)
        self.assertTrue(any("used up" in body for body in late.message_ids.mapped("body")))
        with freeze_time("2026-04-01"):
            service.action_activate()
        self.assertEqual(service.wisp_promotion_ids.date_start, D(2026, 4, 1))
        invoice = self.invoices(service.partner_id)
        self.assertEqual(self.discounts(invoice), [(D(2026, 4, 1), D(2026, 4, 30), -15.5)])

    def test_temporary_addon_is_billed_for_its_days(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-10"):
            boost = self.temporary_addon(service, D(2026, 4, 20), D(2026, 4, 25))
        self.assertEqual(boost.state, "scheduled")
        with freeze_time("2026-04-20"):
            self.env["wisp.temporary.addon"]._cron_apply()
        self.assertIn(self.boost, service.addon_ids)
        with freeze_time("2026-04-26"):
            self.env["wisp.temporary.addon"]._cron_apply()
            self.env["wisp.temporary.addon"]._cron_apply()
        self.assertNotIn(self.boost, service.addon_ids)
        self.assertEqual(boost.state, "done")
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        boost_lines = may.invoice_line_ids.filtered(lambda line: line.product_id == self.boost)
        # its own line for exactly its six days, prorated like any add-on
        self.assertEqual(
            [(line.wisp_period_start, line.wisp_period_end) for line in boost_lines],
            [(D(2026, 4, 20), D(2026, 4, 25))],
        )
        self.assertAlmostEqual(sum(boost_lines.mapped("price_subtotal")), 1.0)

    def test_temporary_addon_starting_today_and_cancelled(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-16"):
            boost = self.temporary_addon(service, D(2026, 4, 16), D(2026, 4, 30))
            self.assertEqual(boost.state, "running", "no need to wait for the cron")
            self.assertIn(self.boost, service.addon_ids)
        with freeze_time("2026-04-21"):
            boost.with_user(self.billing_user).action_cancel()
        self.assertEqual(boost.state, "done")
        self.assertNotIn(self.boost, service.addon_ids)

    def test_a_running_temporary_addon_keeps_what_it_put_on_the_service(self):
        with freeze_time("2026-04-01"):
            service = self.new_service()
        with freeze_time("2026-04-16"):
            boost = self.temporary_addon(service, D(2026, 4, 16), D(2026, 4, 30))
        as_billing = boost.with_user(self.billing_user)
        # its state is the cron's and Cancel's, over RPC too
        with self.assertRaises(AccessError):
            as_billing.write({"state": "done"})
        # a paid add-on swapped in would be the one the cron removes
        with self.assertRaises(UserError):
            as_billing.write({"product_id": self.plan_31.id})
        as_billing.write({"date_end": D(2026, 4, 28)})
        self.assertEqual((boost.state, boost.date_end), ("running", D(2026, 4, 28)))
        with self.assertRaises(ValidationError):
            self.temporary_addon(service, D(2026, 5, 1), D(2026, 5, 2), product=self.plan_62)

    def test_refusals(self):
        support = new_test_user(
            self.env, login="t_promo_support", groups="wisp_subscriber.group_wisp_support"
        )
        portal = make_portal_user(self.env, "t_promo_portal")
        service = self.ordered_with(self.half, "2026-04-01")
        application = service.wisp_promotion_ids
        # billing staff apply promotions, only managers define them
        with self.assertRaises(AccessError):
            self.env["wisp.promotion"].with_user(self.billing_user).create(
                {"name": "Mine", "value": 99}
            )
        with self.assertRaises(AccessError):
            self.half.with_user(self.billing_user).write({"value": 99})
        self.assertEqual(self.half.with_user(self.billing_user).code, "HALF3")
        # support reads applied promotions, never changes them nor reads the codes
        self.assertEqual(application.with_user(support).promotion_id, self.half)
        with self.assertRaises(AccessError):
            application.with_user(support).write({"date_start": D(2026, 5, 1)})
        with self.assertRaises(AccessError):
            service.with_user(support).write(
                {"wisp_promotion_ids": [Command.create({"promotion_id": self.ten_off.id})]}
            )
        with self.assertRaises(AccessError):
            self.half.with_user(support).read(["code"])
        with self.assertRaises(AccessError):
            self.env["wisp.temporary.addon"].with_user(support).create(
                {
                    "service_id": service.id,
                    "product_id": self.boost.id,
                    "date_start": D(2026, 5, 1),
                    "date_end": D(2026, 5, 2),
                }
            )
        # portal users see neither promotions nor codes
        for record in (self.half, application):
            with self.assertRaises(AccessError):
                record.with_user(portal).read(["display_name"])
