from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.wisp_subscriber.tests.common import overage_plan
from odoo.tests import tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingUsageCharges(WispBillingCase):
    """Closed usage periods past their allowance ride on the next consolidated
    invoice, once: one line per period with its quantity and cycle."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flex = overage_plan(cls.env, taxes_id=[])

    def setUp(self):
        super().setUp()
        with freeze_time("2026-03-01"):
            self.service = self.new_service(plan=self.flex)
            self.bill(D(2026, 3, 1))

    def period(self, used_mb, closed=True, service=None, start=None):
        """A ledger row as wisp_network leaves it (billing needs no network)."""
        start = start or D(2026, 3, 5)
        return (
            self.env["wisp.service.usage.period"]
            .sudo()
            .create(
                {
                    "service_id": (service or self.service).id,
                    "plan_id": (service or self.service).plan_id.id,
                    "date_start": start,
                    "date_end": start.replace(month=start.month + 1, day=start.day - 1),
                    "allowance_mb": 100_000.0,
                    "used_mb": used_mb,
                    "is_closed": closed,
                }
            )
        )

    def usage_lines(self, invoices):
        return invoices.invoice_line_ids.filtered("wisp_usage_period_id")

    def test_overage_line_on_the_next_invoice(self):
        period = self.period(103_200.0)
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
        line = self.usage_lines(invoice)
        self.assertRecordValues(
            line,
            [
                {
                    "product_id": self.env.ref("wisp_billing.product_data_overage").id,
                    "quantity": 4.0,
                    "price_unit": 2.0,
                    "price_subtotal": 8.0,
                    "wisp_service_id": self.service.id,
                    "wisp_period_start": D(2026, 3, 5),
                    "wisp_period_end": D(2026, 4, 4),
                    "wisp_usage_period_id": period.id,
                }
            ],
        )
        self.assertIn("3.2 GB past 100 GB", line.name)
        self.assertIn("2026-03-05", line.name)
        self.assertEqual(line.price_subtotal, period.overage_amount, "what the portal said")
        self.assertEqual(period.state, "invoiced")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(len(invoice.invoice_line_ids.filtered("wisp_service_id")), 2)

    def test_at_the_boundary_and_one_mb_over(self):
        at_cap = self.period(100_000.0)
        with freeze_time("2026-03-01"):
            other_service = self.new_service(plan=self.flex)
        over = self.period(100_001.0, service=other_service)
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
        lines = self.usage_lines(invoice)
        self.assertEqual(lines.wisp_usage_period_id, over, "exactly at the allowance: nothing")
        self.assertEqual((lines.quantity, lines.price_subtotal), (1.0, 2.0), "1 MB: 1 GB started")
        self.assertEqual(at_cap.state, "closed")

    def test_open_periods_wait_and_a_run_again_charges_nothing(self):
        open_period = self.period(150_000.0, closed=False)
        closed = self.period(101_000.0, start=D(2026, 2, 5))
        with freeze_time("2026-04-01"):
            first = self.bill(D(2026, 4, 1))
            again = self.bill(D(2026, 4, 1))
        self.assertEqual(self.usage_lines(first).wisp_usage_period_id, closed)
        self.assertFalse(again, "the same day again: nothing more")
        self.assertEqual(open_period.state, "open")
        with freeze_time("2026-05-01"):
            later = self.bill(D(2026, 5, 1))
        self.assertFalse(self.usage_lines(later), "charged once, on one invoice")

    def test_a_cancelled_invoice_gives_the_charge_back_to_the_next_one(self):
        period = self.period(101_500.0)
        with freeze_time("2026-04-01"):
            invoice = self.bill(D(2026, 4, 1))
        invoice.button_draft()
        self.assertEqual(period.state, "invoiced", "reset to draft: still on that invoice")
        invoice.button_cancel()
        self.assertEqual(period.state, "closed")
        with freeze_time("2026-05-01"):
            later = self.bill(D(2026, 5, 1))
        self.assertEqual(self.usage_lines(later).wisp_usage_period_id, period)
        self.assertEqual(period.state, "invoiced")

    def test_chunk_reads_the_ledger_once(self):
        """Billing many subscribers reads their periods in one search, whatever their count."""
        others = [
            self.env["res.partner"].create(
                {
                    "name": f"Flex {n}",
                    "wisp_billing_mode": "advance",
                    "property_product_pricelist": False,
                }
            )
            for n in range(3)
        ]
        with freeze_time("2026-03-01"):
            services = [self.new_service(plan=self.flex, partner=p) for p in others]
        for service in services:
            self.period(102_000.0, service=service)
        Period = type(self.env["wisp.service.usage.period"])
        searches = []
        original = Period.search

        def counting(records, domain, *args, **kwargs):
            searches.append(domain)
            return original(records, domain, *args, **kwargs)

        partners = self.env["res.partner"].browse([p.id for p in others])
        with freeze_time("2026-04-01"), patch.object(Period, "search", counting):
            invoices = self.env["wisp.billing.run"]._bill_subscribers(partners, D(2026, 4, 1))
        self.assertEqual(len(searches), 1)
        self.assertEqual(len(self.usage_lines(invoices)), 3)
