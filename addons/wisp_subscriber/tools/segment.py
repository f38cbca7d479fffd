"""Searching accounts by a figure SQL adds up (overdue amount, referrals, cap used).

Campaign segments filter ``res.partner`` on such figures; the search methods turn
``(field, operator, value)`` into one SQL sub-select instead of computing the figure
for every partner in Python.
"""

import operator as py_operator

from odoo.fields import Domain
from odoo.tools import SQL

COMPARATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}


def comparison(operator, value):
    """``(operator, number)`` of a comparison a figure search accepts, else None.
    Odoo hands ``=`` over as ``in`` with one value."""
    if operator in ("in", "not in") and isinstance(value, (list, tuple, set)) and len(value) == 1:
        operator, value = ("=" if operator == "in" else "!="), next(iter(value))
    if operator not in COMPARATORS or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        return None
    return operator, value


def figure_domain(figures, operator, value):
    """Domain on ``id`` for ``figure <operator> value``.

    :param figures: SQL selecting ``(partner_id, figure)``, one row per account with a
        figure; the accounts it leaves out count as 0
    :return: a domain, or ``NotImplemented`` for an operator that compares nothing
    """
    compared = comparison(operator, value)
    if compared is None:
        return NotImplemented
    operator, value = compared
    condition = SQL("figures.figure %s %s", SQL(operator), value)  # operator: a known key
    if COMPARATORS[operator](0, value):
        # accounts without a figure match too: leave out those whose figure does not
        return Domain("id", "not any!", _partners_where(figures, SQL("NOT (%s)", condition)))
    return Domain("id", "any!", _partners_where(figures, condition))


def _partners_where(figures, condition):
    return SQL(
        "SELECT figures.partner_id FROM (%s) AS figures(partner_id, figure) WHERE %s",
        figures,
        condition,
    )
