from datetime import date

from odoo.tests.common import BaseCase

from ..tools.proration import cycle_bounds, cycles, prorate


class TestProration(BaseCase):
    """The one proration rule (tools/proration.py), without a database."""

    def test_cycle_bounds(self):
        self.assertEqual(cycle_bounds(date(2026, 3, 10), 1), (date(2026, 3, 1), date(2026, 3, 31)))
        self.assertEqual(
            cycle_bounds(date(2026, 3, 10), 15), (date(2026, 2, 15), date(2026, 3, 14))
        )
        self.assertEqual(
            cycle_bounds(date(2026, 1, 20), 20), (date(2026, 1, 20), date(2026, 2, 19))
        )
        with self.assertRaises(ValueError):
            cycle_bounds(date(2026, 1, 1), 31)

    def test_whole_cycle_costs_the_price_whatever_its_length(self):
        for month, days in ((2, 28), (4, 30), (5, 31)):
            start, end = cycle_bounds(date(2026, month, 1), 1)
            self.assertEqual((end - start).days + 1, days)
            self.assertAlmostEqual(prorate(30.0, 1, start, end, 1), 30.0)
        leap = cycle_bounds(date(2028, 2, 10), 1)
        self.assertEqual((leap[1] - leap[0]).days + 1, 29)
        self.assertAlmostEqual(prorate(29.0, 1, *leap, 1), 29.0)

    def test_partial_cycle_by_days_of_that_cycle(self):
        # 28-, 29-, 30- and 31-day months: 10 days cost 10/len of that month
        cases = [
            (date(2026, 2, 19), date(2026, 2, 28), 28),
            (date(2028, 2, 20), date(2028, 2, 29), 29),
            (date(2026, 4, 21), date(2026, 4, 30), 30),
            (date(2026, 3, 22), date(2026, 3, 31), 31),
        ]
        for start, end, length in cases:
            with self.subTest(length=length):
                self.assertAlmostEqual(prorate(60.0, 1, start, end, 1), 60.0 * 10 / length)

    def test_interval_across_cycles_sums_each_cycle_share(self):
        # Jan 17-31 (15/31) + all of Feb (1) + Mar 1-10 (10/31)
        amount = prorate(31.0, 1, date(2026, 1, 17), date(2026, 3, 10), 1)
        self.assertAlmostEqual(amount, 15 + 31 + 10)
        self.assertEqual(len(list(cycles(date(2026, 1, 17), date(2026, 3, 10), 1))), 3)

    def test_longer_periods_divide_the_price(self):
        # a quarterly price of 90 is 30 per cycle
        self.assertAlmostEqual(prorate(90.0, 3, date(2026, 4, 1), date(2026, 6, 30), 1), 90.0)
        self.assertAlmostEqual(prorate(90.0, 3, date(2026, 4, 1), date(2026, 4, 15), 1), 15.0)

    def test_empty_interval(self):
        self.assertEqual(prorate(30.0, 1, date(2026, 4, 2), date(2026, 4, 1), 1), 0.0)
