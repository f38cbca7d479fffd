import os
import random
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from ..tools.proration import prorate
from .common import D, WispBillingCase

START, END = D(2026, 1, 1), D(2026, 10, 20)  # lives begin in Jan-Feb, all end on END
BILLED = ("active", "restricted", "suspended")
# more lives on demand, e.g. WISP_LIFE_SEEDS=200 with
# --test-tags=/wisp_billing:TestBillingRulesRandomLife (about 10 s per seed)
SEEDS = range(int(os.environ.get("WISP_LIFE_SEEDS", "4")))


@tagged("post_install", "-at_install")
class TestBillingRulesRandomLife(WispBillingCase):
    """Money is always right: random lives (activation, plan changes now and
    scheduled, pauses, termination) of services with plans and add-ons on
    monthly, quarterly and half-yearly periods, in advance and postpaid, billed
    on each cycle. Once every service is terminated and billed, each subscriber
    has been invoiced the prorated price of each day each product was in
    service, to the cent per invoice line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]

        def product(name, price, period, **vals):
            return Product.create(
                {
                    "name": name,
                    "type": "service",
                    "taxes_id": [],
                    "list_price": price,
                    "billing_period": period,
                    **vals,
                }
            )

        speeds = {"is_wisp_plan": True, "download_kbps": 10000, "upload_kbps": 2000}
        cls.plans = cls.plan_31 | cls.plan_62
        cls.plans |= product("Quarter 90", 90.0, "quarterly", **speeds)
        cls.plans |= product("Half-year 150", 150.0, "semiannual", **speeds)
        cls.addons = cls.addon_ip | product("Pack 30", 30.0, "quarterly", is_wisp_addon=True)

    def draw_lives(self, seed):
        """Subscribers, their services (account, activation day, plan, add-ons) and
        the events of each day (service index, kind, plan, days ahead)."""
        rng = random.Random(seed)  # noqa: S311 - seeded test data, not a secret
        accounts = self.env["res.partner"].create(
            [
                {
                    "name": f"Life {seed}-{n}",
                    "wisp_billing_mode": rng.choice(["advance", "postpaid"]),
                }
                for n in range(3)
            ]
        )
        services, events = [], {}
        for account in accounts:
            for __ in range(rng.randint(1, 2)):
                day = START + timedelta(days=rng.randint(0, 60))
                addons = self.addons.filtered(lambda __: rng.random() < 0.4)
                services.append((account, day, self.plans[rng.randrange(4)], addons))
                for __ in range(rng.randint(2, 6)):
                    when = day + timedelta(days=rng.randint(1, (END - day).days - 1))
                    kind = rng.choice(["pause", "resume", "now", "later"])
                    event = (
                        len(services) - 1,
                        kind,
                        self.plans[rng.randrange(4)],
                        rng.randint(1, 50),
                    )
                    events.setdefault(when, []).append(event)
        return accounts, services, events

    def apply_event(self, service, kind, plan, ahead, day):
        if kind == "pause" and service.state == "active":
            service.action_pause()
        elif kind == "resume" and service.state == "paused":
            service.action_resume()
        elif kind in ("now", "later") and plan != service.plan_id:
            later = day + timedelta(days=ahead) if kind == "later" else None
            service.action_change_plan(plan, effective_date=later)

    def live(self, seed):
        """Run the lives day by day; return {account: prorated price of its days}."""
        accounts, services, events = self.draw_lives(seed)
        records, held = {}, []
        day = START
        while day <= END + timedelta(days=70):  # two more cycles bill the last settlements
            with freeze_time(day):
                for index, (account, active_on, plan, addons) in enumerate(services):
                    if active_on == day:
                        records[index] = self.new_service(
                            plan=plan, partner=account, addon_ids=[Command.set(addons.ids)]
                        )
                self.env["wisp.service"]._cron_apply_plan_changes()
                for index, *event in events.get(day, []):
                    if index in records and records[index].state != "terminated":
                        self.apply_event(records[index], *event, day)
                if day == END:
                    records_all = self.env["wisp.service"].union(*records.values())
                    records_all.filtered(lambda s: s.state != "terminated").action_terminate()
                held += [
                    (service.partner_id, product, day)
                    for service in records.values()
                    if service.state in BILLED
                    for product in service.plan_id | service.addon_ids
                ]
                if day.day == 1:
                    self.env["wisp.billing.run"]._bill_subscribers(accounts, day)
            day += timedelta(days=1)
        expected = dict.fromkeys(accounts, 0.0)
        for account, product, held_day in held:
            months = product.product_tmpl_id._billing_period_months()
            expected[account] += prorate(product.lst_price, months, held_day, held_day, 1)
        return expected

    def invoiced(self, account):
        total = 0.0
        for invoice in self.invoices(account):
            self.assertEqual(invoice.state, "posted")
            total += invoice.amount_untaxed * (-1 if invoice.move_type == "out_refund" else 1)
        return total

    def test_random_lives_are_billed_exactly(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                for account, amount in self.live(seed).items():
                    self.assertFalse(
                        self.env["wisp.billing.adjustment"].search(
                            [("partner_id", "=", account.id), ("state", "=", "pending")]
                        )
                    )
                    lines = len(self.invoices(account).invoice_line_ids)
                    self.assertAlmostEqual(
                        self.invoiced(account),
                        amount,
                        delta=0.005 * lines,
                        msg=f"{account.name}: invoiced against the days in service",
                    )
