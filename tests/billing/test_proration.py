"""A month's price per day, and rounding once per line (rules SUB-2, SUB-3, SUB-4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from src.billing.services import proration
from src.billing.services.proration import Period, State

D = dt.date
JAN, FEB = Period.of(2027, 1), Period.of(2027, 2)


def run(states, starts_on, ends_on, period, prices=None, changes=None):
    prices = prices or {}

    def price_on(variant, day):
        price = {1: 5500, 2: 8500}[variant]
        for since, cents in sorted(prices.get(variant, {}).items()):
            if day >= since:
                price = cents
        return price

    return proration.lines(
        proration.stretches(
            states, starts_on, ends_on, period, price_on, lambda v: sorted(prices.get(v, {}))
        ),
        period,
    )


def test_a_whole_month_is_its_monthly_price_exactly():
    [line] = run([State(D(2026, 6, 1), 1, 2)], D(2026, 6, 1), None, JAN)
    assert (
        line.whole_month
        and line.net_cents == 11000
        and (line.first, line.last) == (D(2027, 1, 1), D(2027, 1, 31))
    )


def test_how_a_days_price_is_derived_and_rounded_once_per_line():
    # The statement of the rule: a day costs the monthly price over the days of that month, to
    # six decimals; the line is quantity x days x day price, rounded half up to the cent once.
    assert proration.day_price(1000, JAN) == Decimal("32.258065")  # 1000 / 31
    assert proration.day_price(1000, FEB) == Decimal("35.714286")  # 1000 / 28
    assert proration.amount(1000, 1, 1, JAN) == 32  # 32.258065
    assert proration.amount(1000, 3, 10, FEB) == 1071  # 3 x 10 x 35.714286 = 1071.42858
    assert proration.amount(1000, 1, 31, JAN) == 1000  # a whole month, never 31 x 32.258065
    assert proration.amount(5, 1, 15, Period.of(2027, 4)) == 3  # 2.5 cents rounds half up to 3


def test_a_start_in_the_middle_of_the_month_is_exact_to_the_day():
    [line] = run([State(D(2027, 1, 10), 1, 1)], D(2027, 1, 10), None, JAN)
    assert line.days == 22 and line.net_cents == 3903  # 22 x 177.419355 = 3903.22581


def test_an_upgrade_on_the_twentieth_bills_the_rest_of_the_month_at_the_new_price():
    # rule SUB-2
    states = [State(D(2026, 6, 1), 1, 1), State(D(2027, 1, 20), 2, 1)]
    before, after = run(states, D(2026, 6, 1), None, JAN)
    assert (before.days, before.monthly_price_cents, before.net_cents) == (19, 5500, 3371)
    assert (after.days, after.monthly_price_cents, after.net_cents) == (12, 8500, 3290)


def test_a_price_change_and_an_end_in_one_month():
    # rules SUB-3, SUB-4: a new price from the 15th, the subscription ends on the 21st (its
    # cancellation took effect that day: the 20th is its last day)
    lines = run(
        [State(D(2026, 6, 1), 1, 4)], D(2026, 6, 1), D(2027, 2, 21), FEB, prices={1: {D(2027, 2, 15): 6000}}
    )
    assert [(x.first.day, x.last.day, x.monthly_price_cents) for x in lines] == [
        (1, 14, 5500),
        (15, 20, 6000),
    ]
    assert [x.net_cents for x in lines] == [11000, 5143]  # 4 x 14 x 196.428571; 4 x 6 x 214.285714


def test_nothing_outside_the_subscription():
    assert run([State(D(2027, 2, 1), 1, 1)], D(2027, 2, 1), None, JAN) == []
    assert run([State(D(2026, 6, 1), 1, 1)], D(2026, 6, 1), D(2027, 1, 1), JAN) == []


def test_two_changes_in_one_day_leave_the_last_one():
    states = [State(D(2026, 6, 1), 1, 1), State(D(2027, 1, 20), 1, 2), State(D(2027, 1, 20), 2, 2)]
    lines = run(states, D(2026, 6, 1), None, JAN)
    assert [(x.variant, x.quantity, x.days) for x in lines] == [(1, 1, 19), (2, 2, 12)]


@pytest.mark.parametrize("text", ["2027-13", "27-01", "2027-1", "abcd-ef", ""])
def test_a_period_is_a_month_written_yyyy_mm(text):
    with pytest.raises(ValueError):
        Period.parse(text)
