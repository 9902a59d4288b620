"""Late-payment interest on an overdue amount (rule BIL-7; 004 §1.7).

The terms: interest of 2.5 % per month on the whole amount due, from the due date, pro rata per
day (not per started month).

**Day count.** A "month" is a calendar month counted from the due date: from 15 March to 15 April
is one month, whatever its length. Each whole month since the due date counts 2.5 %. The days
left over count as a fraction of the month they fall in, measured from one monthly anniversary to
the next (so 10 days after 15 April count 10/30 of a month, 10 days after 15 January 10/31). This
keeps "2.5 % a month" exact for whole months, which a fixed 30 %/365 per day would not. When the
due date is a day the later month lacks (31 January), the anniversary is that month's last day
(28 February). Interest runs for the days *after* the due date: paying on the due date costs
nothing, and the day after it is one day's interest.

**Rounding.** Computed on cents with Decimal and rounded half up to a cent once per invoice per
statement or interest note; nothing in between is rounded.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

MONTHLY_RATE = Decimal("0.025")


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """The same day of the month ``months`` later, or that month's last day if it has none."""
    anchor = anchor_day or day.day
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(anchor, last))


def months_elapsed(due_on: dt.date, as_of: dt.date) -> Decimal:
    """Months (whole and fraction, unrounded) from ``due_on`` to ``as_of``; zero if not late."""
    if as_of <= due_on:
        return Decimal(0)
    whole = 0
    while add_months(due_on, whole + 1) <= as_of:
        whole += 1
    start = add_months(due_on, whole)
    end = add_months(due_on, whole + 1)
    return Decimal(whole) + Decimal((as_of - start).days) / Decimal((end - start).days)


def interest_cents(
    open_cents: int, due_on: dt.date, as_of: dt.date, monthly_rate: Decimal = MONTHLY_RATE
) -> int:
    """Interest on ``open_cents`` from ``due_on`` to ``as_of``, rounded half up once."""
    if open_cents <= 0:
        return 0
    amount = Decimal(open_cents) * monthly_rate * months_elapsed(due_on, as_of)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
