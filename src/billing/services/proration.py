"""What a subscription costs in a month, day by day (rules SUB-2, SUB-3, SUB-4; 004 §1.7.1).

Services are invoiced monthly, after the month. A subscription's month is cut into stretches of
days with the same variant, quantity and price: it starts or ends, an upgrade or downgrade takes
effect, or a new price comes into force, at the start of a day. Each stretch is one line.

**A day's price.** A day costs the monthly price divided by the number of days of *that* month
(1/31 of it in January, 1/28 in February 2027), kept to six decimals (rounded half up). A whole
month is charged at exactly its monthly price, never as a sum of days.

**Rounding.** A line's amount is the quantity times the number of days times the day price,
rounded half up to the cent once, on the line. Nothing else is rounded: the invoice's net total is
the sum of its lines, and VAT is computed on the sum per VAT category (billing's VAT module).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DAY_PRICE_PLACES = Decimal("0.000001")
CENT = Decimal("1")


@dataclass(frozen=True)
class Period:
    """A calendar month: `first` is its first day, `end` the first day of the next."""

    first: dt.date
    end: dt.date

    @classmethod
    def of(cls, year: int, month: int) -> Period:
        days = calendar.monthrange(year, month)[1]
        first = dt.date(year, month, 1)
        return cls(first, first + dt.timedelta(days=days))

    @classmethod
    def parse(cls, text: str) -> Period:
        """`YYYY-MM` (ValueError otherwise)."""
        year, _sep, month = text.strip().partition("-")
        if len(year) != 4 or len(month) != 2 or not (year.isdigit() and month.isdigit()):
            raise ValueError(text)
        return cls.of(int(year), int(month))

    @property
    def days(self) -> int:
        return (self.end - self.first).days

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"


@dataclass(frozen=True)
class State:
    """What the subscription is from a day on: its variant and quantity."""

    since: dt.date
    variant: int
    quantity: int


@dataclass(frozen=True)
class Stretch:
    """Days [first, end) of one variant, quantity and monthly unit price."""

    first: dt.date
    end: dt.date
    variant: int
    quantity: int
    monthly_price_cents: int

    @property
    def days(self) -> int:
        return (self.end - self.first).days


@dataclass(frozen=True)
class Line:
    """An invoice line: `quantity` units for `days` of the period's `period_days`."""

    first: dt.date
    last: dt.date
    variant: int
    quantity: int
    days: int
    period_days: int
    monthly_price_cents: int
    day_price: Decimal
    net_cents: int

    @property
    def whole_month(self) -> bool:
        return self.days == self.period_days


def day_price(monthly_price_cents: int, period: Period) -> Decimal:
    """The price of one day of the period, in cents, to six decimals."""
    return (Decimal(monthly_price_cents) / Decimal(period.days)).quantize(DAY_PRICE_PLACES, ROUND_HALF_UP)


def amount(monthly_price_cents: int, quantity: int, days: int, period: Period) -> int:
    """The cents `quantity` units cost for `days` days of the period (rounded once)."""
    if days == period.days:
        return monthly_price_cents * quantity
    exact = day_price(monthly_price_cents, period) * quantity * days
    return int(exact.quantize(CENT, ROUND_HALF_UP))


def stretches(
    states: Sequence[State],
    starts_on: dt.date,
    ends_on: dt.date | None,
    period: Period,
    price_on: Callable[[int, dt.date], int],
    price_changes_on: Callable[[int], Sequence[dt.date]],
) -> list[Stretch]:
    """The stretches of the period in which the subscription is in force.

    `states`: the subscription's variant and quantity from each day on, oldest first (the first
    from its start); `price_on(variant, day)` the unit price in force; `price_changes_on(variant)`
    the days a new price of the variant comes into force."""
    first = max(starts_on, period.first)
    end = min(ends_on or period.end, period.end)
    if first >= end:
        return []
    result: list[Stretch] = []
    ordered = sorted(states, key=lambda s: s.since)
    for index, state in enumerate(ordered):
        state_end = ordered[index + 1].since if index + 1 < len(ordered) else end
        lo, hi = max(state.since, first), min(state_end, end)
        if lo >= hi:
            continue
        cuts = sorted({d for d in price_changes_on(state.variant) if lo < d < hi})
        bounds = [lo, *cuts, hi]
        for a, b in itertools.pairwise(bounds):
            result.append(Stretch(a, b, state.variant, state.quantity, price_on(state.variant, a)))
    return _merged(result)


def _merged(parts: list[Stretch]) -> list[Stretch]:
    """Neighbouring stretches of the same variant, quantity and price are one."""
    merged: list[Stretch] = []
    for part in parts:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == part.first
            and (last.variant, last.quantity, last.monthly_price_cents)
            == (part.variant, part.quantity, part.monthly_price_cents)
        ):
            merged[-1] = Stretch(last.first, part.end, last.variant, last.quantity, last.monthly_price_cents)
        else:
            merged.append(part)
    return merged


def lines(parts: Sequence[Stretch], period: Period) -> list[Line]:
    return [
        Line(
            first=p.first,
            last=p.end - dt.timedelta(days=1),
            variant=p.variant,
            quantity=p.quantity,
            days=p.days,
            period_days=period.days,
            monthly_price_cents=p.monthly_price_cents,
            day_price=day_price(p.monthly_price_cents, period),
            net_cents=amount(p.monthly_price_cents, p.quantity, p.days, period),
        )
        for p in parts
        if p.quantity > 0
    ]
