"""Proration by days, the one rule used everywhere in WISP billing.

A subscriber's cycles run from its billing day (1-28) to the day before the
same day next month. A plan's (or add-on's) price covers ``months`` such
cycles, so the price of one cycle is ``price / months``. Any interval of days is charged,
cycle by cycle, as::

    cycle price * days of the interval inside the cycle / days in that cycle

so a whole cycle costs exactly the cycle price whether it has 28, 29, 30 or 31
days, and a part of a cycle costs its share of that particular cycle. Amounts
are rounded to the currency only once, per invoice line. The same function
prices first partial periods, pauses, terminations and plan changes (a credit
is the same computation with the opposite sign).
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

ONE_DAY = timedelta(days=1)


def cycle_bounds(day, billing_day):
    """Return (start, end) of the billing cycle containing ``day`` (inclusive)."""
    if not 1 <= billing_day <= 28:
        raise ValueError(f"billing day {billing_day} is not between 1 and 28")
    start = day.replace(day=billing_day)
    if day.day < billing_day:
        start -= relativedelta(months=1)
    return start, start + relativedelta(months=1) - ONE_DAY


def block_end(day, months, billing_day):
    """Last day of the block of ``months`` cycles that starts with the cycle
    containing ``day``. A plan or add-on billed every N months is billed in such
    blocks, the first one starting at the cycle of its first day billed."""
    return cycle_bounds(day, billing_day)[0] + relativedelta(months=months) - ONE_DAY


def cycles(start, end, billing_day):
    """Yield (cycle_start, cycle_end, overlap_start, overlap_end) covering [start, end]."""
    day = start
    while day <= end:
        c_start, c_end = cycle_bounds(day, billing_day)
        yield c_start, c_end, day, min(c_end, end)
        day = c_end + ONE_DAY


def prorate(price, months, start, end, billing_day):
    """Unrounded amount for the days ``start``..``end`` (inclusive) of a plan
    priced ``price`` per ``months`` cycles. Empty interval -> 0."""
    if end < start:
        return 0.0
    cycle_price = price / months
    total = 0.0
    for c_start, c_end, o_start, o_end in cycles(start, end, billing_day):
        cycle_days = (c_end - c_start).days + 1
        total += cycle_price * ((o_end - o_start).days + 1) / cycle_days
    return total
