import calendar
import logging
import os
import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.tests import tagged

from .common import D, WispBillingCase

START, END = D(2026, 1, 1), D(2026, 10, 20)  # lives begin in Jan-Feb, all end on END
BILLED = ("active", "restricted", "suspended")
# more lives on demand: `bin/wisp bench --only lives -- --seeds 200` (about 10 s per seed)
SEEDS = range(int(os.environ.get("WISP_LIFE_SEEDS", "4")))

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestBillingRulesRandomLife(WispBillingCase):
    """Money is always right: random lives (activation, plan changes now and
    scheduled, pauses, termination) of services with plans and add-ons on monthly,
    quarterly and half-yearly periods, untaxed, taxed and tax-included, some with a
    device paid in installments, some ordered with a promotion (half price for three
    cycles), in advance and postpaid, billed on each cycle. Once
    every service is terminated and billed, each subscriber has been invoiced the price
    of each day each product was in service and every installment, to the cent per
    invoice line; its receivable is its open invoices less its unapplied credit, and
    its wallet never below zero.

    The expected price of a day is the documented rule written again here, not the
    billing code: billed on the 1st, a cycle is the calendar month; a product priced
    per N months costs ``price / N`` per cycle, a day ``1 / days in its month`` of
    that; a tax-included price is first taken out of its tax; a promoted service's plan
    costs half its price on its first three months of days from activation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        speeds = {"download_kbps": 10000, "upload_kbps": 2000}
        tax = cls.company_data["default_tax_sale"]
        tax_included = tax.copy(
            {"name": "Sales tax incl.", "price_include_override": "tax_included"}
        )
        cls.plans = cls.plan_31 | cls.plan_62
        cls.plans |= make_plan(
            cls.env, "Quarter 90", 90.0, billing_period="quarterly", taxes_id=tax.ids, **speeds
        )
        cls.plans |= make_plan(
            cls.env,
            "Half-year 150",
            150.0,
            billing_period="semiannual",
            taxes_id=tax_included.ids,
            **speeds,
        )
        pack = cls.env["product.product"].create(
            {
                "name": "Pack 30",
                "type": "service",
                "is_wisp_addon": True,
                "taxes_id": [],
                "list_price": 30.0,
                "billing_period": "quarterly",
            }
        )
        cls.addons = cls.addon_ip | pack
        cls.promotion = cls.env["wisp.promotion"].create(
            {"name": "Life half price", "value": 50, "duration_cycles": 3}
        )

    def draw_lives(self, seed):
        """Subscribers, their services (account, activation day, plan, add-ons) and
        the events of each day (service index, kind, plan, days ahead or add-on)."""
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
                # a device paid in installments (amount, count), on some services
                installment = (rng.choice([4.0, 7.5, 12.0]), rng.randint(2, 12))
                installment = installment if rng.random() < 0.4 else None
                services.append((account, day, self.plans[rng.randrange(4)], addons, installment))
                for __ in range(rng.randint(2, 6)):
                    when = day + timedelta(days=rng.randint(1, (END - day).days - 1))
                    kind = rng.choice(["pause", "resume", "now", "later", "addon"])
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
        elif kind == "addon":  # one add-on added or removed
            addon = self.addons[ahead % len(self.addons)]
            added = addon not in service.addon_ids
            service.addon_ids = [Command.link(addon.id) if added else Command.unlink(addon.id)]
        elif kind in ("now", "later") and plan != service.plan_id:
            later = day + timedelta(days=ahead) if kind == "later" else None
            service.action_change_plan(plan, effective_date=later)

    def live(self, seed):
        """Run the lives day by day; return {account: prorated price of its days}."""
        accounts, services, events = self.draw_lives(seed)
        # its own draws: the lives of a seed stay those drawn before promotions existed
        promo_rng = random.Random(-1 - seed)  # noqa: S311 - seeded test data
        promoted = {index for index in range(len(services)) if promo_rng.random() < 0.4}
        records, held = {}, []
        day = START
        while day <= END + timedelta(days=70):  # two more cycles bill the last settlements
            with freeze_time(day):
                for index, (account, active_on, plan, addons, installment) in enumerate(services):
                    if active_on == day:
                        records[index] = self.new_service(
                            plan=plan,
                            partner=account,
                            addon_ids=[Command.set(addons.ids)],
                            state="confirmed" if index in promoted else "active",
                        )
                        if index in promoted:
                            self.env["wisp.service.promotion"].create(
                                {"service_id": records[index].id, "promotion_id": self.promotion.id}
                            )
                            records[index].action_activate()
                        if installment:
                            self.env["wisp.service.installment"].create(
                                {
                                    "service_id": records[index].id,
                                    "name": "Router",
                                    "amount": installment[0],
                                    "installment_count": installment[1],
                                }
                            )
                self.env["wisp.service"]._cron_apply_plan_changes()
                for index, *event in events.get(day, []):
                    if index in records and records[index].state != "terminated":
                        self.apply_event(records[index], *event, day)
                if day == END:
                    records_all = self.env["wisp.service"].union(*records.values())
                    records_all.filtered(lambda s: s.state != "terminated").action_terminate()
                held += [
                    (service.partner_id, product, day, self.promoted_share(services, index, day))
                    if product == service.plan_id and index in promoted
                    else (service.partner_id, product, day, 1.0)
                    for index, service in records.items()
                    if service.state in BILLED
                    for product in service.plan_id | service.addon_ids
                ]
                if day.day == 1:
                    self.env["wisp.billing.run"]._bill_subscribers(accounts, day)
            day += timedelta(days=1)
        # at the test log level: bench/bench_billing_lives.py counts these
        _logger.log(
            25,
            "life cycles of seed %s: %s accounts, %s services",
            seed,
            len(accounts),
            len(records),
        )
        expected = {account: [0.0, 0.0] for account in accounts}  # untaxed, tax
        for account, product, held_day, share in held:
            untaxed, tax = self.day_price(product, held_day)
            expected[account][0] += untaxed * share
            expected[account][1] += tax * share
        # every installment is billed once: one per cycle, the rest at termination
        device = self.env.ref("wisp_billing.product_installment")
        for account, __, __, __, installment in services:
            if installment:
                untaxed, tax = self.untaxed_and_tax(device, installment[0] * installment[1])
                expected[account][0] += untaxed
                expected[account][1] += tax
        return expected

    @staticmethod
    def promoted_share(services, index, day):
        """Share of the plan's price paid on ``day`` by a promoted service: half on its
        three months of days from activation."""
        activation = services[index][1]
        return 0.5 if day < activation + relativedelta(months=3) else 1.0

    def day_price(self, product, day):
        """(untaxed, tax) of one day of ``product`` by the documented rule."""
        months = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}[
            product.billing_period
        ]
        days = calendar.monthrange(day.year, day.month)[1]
        return self.untaxed_and_tax(product, product.lst_price / months / days)

    @staticmethod
    def untaxed_and_tax(product, price):
        """(untaxed, tax) of ``price`` of ``product`` under its taxes in this company."""
        taxes = product.taxes_id.filtered(lambda tax: tax.company_id == product.env.company)
        rate = sum(taxes.mapped("amount")) / 100
        if any(tax.price_include for tax in taxes):
            price /= 1 + rate
        return price, price * rate

    def invoiced(self, account):
        """(untaxed, tax) invoiced to ``account``, credit notes deducted."""
        untaxed = tax = 0.0
        for invoice in self.invoices(account):
            self.assertEqual(invoice.state, "posted")
            sign = -1 if invoice.move_type == "out_refund" else 1
            untaxed += sign * invoice.amount_untaxed
            tax += sign * invoice.amount_tax
        return untaxed, tax

    def assert_receivable(self, account):
        """Receivable = open invoices - unapplied credit (every entry balanced by Odoo), and
        the wallet (that credit) never below zero."""
        moves = self.invoices(account)
        open_amount = sum(
            m.amount_residual * (-1 if m.move_type == "out_refund" else 1) for m in moves
        )
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
            ]
        )
        self.assertAlmostEqual(sum(lines.mapped("balance")), open_amount, places=2)
        account.invalidate_recordset(["wisp_wallet_balance"])
        self.assertGreaterEqual(account.wisp_wallet_balance, 0.0, "a wallet is never negative")

    def test_random_lives_are_billed_exactly(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                for account, (untaxed, tax) in self.live(seed).items():
                    self.assertFalse(
                        self.env["wisp.billing.adjustment"].search(
                            [("partner_id", "=", account.id), ("state", "=", "pending")]
                        )
                    )
                    lines = len(self.invoices(account).invoice_line_ids)
                    invoiced_untaxed, invoiced_tax = self.invoiced(account)
                    self.assertAlmostEqual(
                        invoiced_untaxed,
                        untaxed,
                        delta=0.005 * lines,
                        msg=f"{account.name}: invoiced against the days in service",
                    )
                    self.assertAlmostEqual(
                        invoiced_tax,
                        tax,
                        delta=0.005 * lines,
                        msg=f"{account.name}: tax against the days in service",
                    )
                    self.assert_receivable(account)
