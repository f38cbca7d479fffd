from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import D, WispBillingCase, make_quarterly_plan


def figures(data, section="billing"):
    found = next((s for s in data["sections"] if s["key"] == section), None)
    return found and {figure["key"]: figure for figure in found["figures"]}


@tagged("post_install", "-at_install")
class TestDashboardBilling(WispBillingCase):
    """Three accounts billed in advance on the 1st (due the 11th, held after 5
    days of grace), activated in February, April and May:

    * Alice: Home 31 + Static IP 5, invoice of Feb 1 (36.00), and a Home 62 paid
      and paused;
    * Bob: TV 10, invoice of Apr 1 (10.00);
    * Carol: a quarterly plan 90, invoice of May 1 (90.00, three months).

    MRR 31 + 5 + 10 + 90 / 3 = 76.00 over 3 paying accounts.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.alice = cls.subscriber
        cls.bob = Partner.create({"name": "Bob Dash", "wisp_billing_mode": "advance"})
        cls.carol = Partner.create({"name": "Carol Dash", "wisp_billing_mode": "advance"})
        cls.quarterly = make_quarterly_plan(cls.env)
        cls.support_user = new_test_user(
            cls.env, login="t_dash_support", groups="wisp_subscriber.group_wisp_support"
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2026-02-01"):
            self.alice_service = self.new_service(addon_ids=self.addon_ip.ids)
            self.alice_paused = self.new_service(plan=self.plan_62)
            # paid at once: only the first invoice of the cycle stays open
            self.pay(self.invoices(self.alice).filtered(lambda m: m.amount_total == 62.0))
        with freeze_time("2026-02-02"):
            self.alice_paused.action_pause()
        with freeze_time("2026-04-01"):
            self.bob_service = self.new_service(plan=self.plan_tv, partner=self.bob)
        with freeze_time("2026-05-01"):
            self.carol_service = self.new_service(plan=self.quarterly, partner=self.carol)
        self.alice_invoice = self.invoices(self.alice).filtered(
            lambda m: m.invoice_date == D(2026, 2, 1) and m.amount_total == 36.0
        )
        self.bob_invoice = self.invoices(self.bob)
        self.carol_invoice = self.invoices(self.carol)
        self.assertEqual(
            (self.bob_invoice.amount_total, self.carol_invoice.amount_total), (10.0, 90.0)
        )

    def dashboard(self, day, user=None):
        Dashboard = self.env["wisp.dashboard"].with_user(user or self.env.user)
        with freeze_time(day):
            return Dashboard.get_dashboard()

    def line(self, invoice):
        return self.env["wisp.dunning.line"].search([("move_id", "=", invoice.id)])

    def test_recurring_revenue(self):
        billing = figures(self.dashboard("2026-05-20"))
        self.assertAlmostEqual(billing["mrr"]["value"], 76.0)
        self.assertAlmostEqual(billing["arpu"]["value"], 25.33)
        listed = self.env["wisp.service"].search(billing["mrr"]["action"]["domain"])
        self.assertEqual(listed, self.alice_service | self.bob_service | self.carol_service)
        accounts = self.env["res.partner"].search(billing["arpu"]["action"]["domain"])
        self.assertEqual(accounts, self.alice | self.bob | self.carol)

    def test_overdue_ageing(self):
        billing = figures(self.dashboard("2026-05-20"))
        amounts = {key: billing[key]["value"] for key in billing if key.startswith("overdue")}
        self.assertEqual(
            amounts,
            {
                "overdue": 136.0,
                "overdue_1_30": 90.0,  # Carol, 9 days late
                "overdue_31_60": 10.0,  # Bob, 39 days
                "overdue_61_90": 0.0,
                "overdue_90_plus": 36.0,  # Alice, 98 days
            },
        )
        self.assertEqual(
            (billing["overdue_31_60"]["alert"], billing["overdue_61_90"]["alert"]),
            (True, False),
            "a late amount is shown in red, nothing late is not",
        )
        ninety = self.env["account.move"].search(billing["overdue_90_plus"]["action"]["domain"])
        self.assertEqual(ninety, self.alice_invoice)
        self.pay(self.alice_invoice)
        self.assertEqual(figures(self.dashboard("2026-05-20"))["overdue"]["value"], 100.0)

    def test_dunning_work_list(self):
        with freeze_time("2026-05-05"):
            carol = self.line(self.carol_invoice)
            self.assertEqual((carol.stage, carol.hold_date), ("upcoming", D(2026, 5, 17)))
            with self.assertRaises(UserError, msg="not overdue yet"):
                carol.with_user(self.billing_user).action_suspend_now()
            carol.with_user(self.billing_user).action_send_reminder()
            self.env.invalidate_all()
            self.assertEqual((carol.stage, carol.reminder_date), ("reminded", D(2026, 5, 5)))
            self.assertTrue(self.carol_invoice.wisp_reminder_sent)

        billing = figures(self.dashboard("2026-05-20"))
        self.assertEqual((billing["to_hold"]["value"], billing["held"]["value"]), (3, 0))
        with freeze_time("2026-05-20"):
            bob = self.line(self.bob_invoice)
            self.assertEqual((bob.stage, bob.days_overdue), ("grace", 39))
            bob.with_user(self.billing_user).action_suspend_now()
            self.assertEqual(self.bob_service.state, "suspended")
            self.env.invalidate_all()
            self.assertEqual(bob.stage, "held")
            self.assertEqual(self.line(self.alice_invoice).hold_date, D(2026, 2, 17))

            payment = self.line(self.alice_invoice).with_user(self.billing_user)
            wizard = payment.action_register_payment()
            self.assertEqual(wizard["res_model"], "account.payment.register")
            opened = payment.action_open_subscriber()
            self.assertEqual(
                (opened["res_model"], opened["res_id"]), ("res.partner", self.alice.id)
            )

        billing = figures(self.dashboard("2026-05-20", self.billing_user))
        self.assertEqual((billing["to_hold"]["value"], billing["held"]["value"]), (2, 1))
        to_hold = self.env["wisp.dunning.line"].search(billing["to_hold"]["action"]["domain"])
        self.assertEqual(to_hold.move_id, self.alice_invoice | self.carol_invoice)

        self.pay(self.bob_invoice)
        self.assertFalse(self.line(self.bob_invoice), "a paid invoice leaves the list")
        self.assertEqual(self.bob_service.state, "active")

    def test_who_may_use_it(self):
        self.assertIsNone(figures(self.dashboard("2026-05-20", self.support_user)))
        lines = self.line(self.bob_invoice).with_user(self.support_user)
        with self.assertRaises(AccessError):
            lines.read(["amount_residual"])
        for action in ("action_send_reminder", "action_suspend_now", "action_register_payment"):
            with self.assertRaises(AccessError, msg=action):
                getattr(lines, action)()
        self.assertEqual(self.bob_service.state, "active")
        self.assertFalse(self.bob_invoice.wisp_reminder_sent)
        # the billing clerk's role alone (it includes invoicing) shows the whole section
        clerk = new_test_user(
            self.env, login="t_dash_clerk", groups="wisp_subscriber.group_wisp_billing"
        )
        billing = figures(self.dashboard("2026-05-20", clerk))
        self.assertEqual(billing["overdue"]["value"], 136.0)
        self.assertEqual(billing["mrr"]["value"], 76.0)
