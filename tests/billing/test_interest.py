"""Late-payment interest: 2.5 % per calendar month, the rest pro rata per day (rule BIL-7)."""

from __future__ import annotations

import datetime as dt

from src.billing.services.interest import interest_cents, months_elapsed

D = dt.date


def test_nothing_on_or_before_the_due_date():
    assert interest_cents(100_000, D(2027, 3, 15), D(2027, 3, 15)) == 0
    assert interest_cents(100_000, D(2027, 3, 15), D(2027, 3, 1)) == 0


def test_one_whole_month_is_exactly_two_and_a_half_percent():
    # EUR 1,000.00 due 15 March, as of 15 April: 100000 * 0.025 = 2500 cents.
    assert interest_cents(100_000, D(2027, 3, 15), D(2027, 4, 15)) == 2500
    # February is a whole month too: 15 Feb → 15 Mar.
    assert interest_cents(100_000, D(2027, 2, 15), D(2027, 3, 15)) == 2500


def test_one_day_late_is_a_day_of_that_month():
    # EUR 1,000.00 due 15 March, paid 16 March: 1/31 of a month (15 Mar → 15 Apr has 31 days)
    # 100000 * 0.025 / 31 = 80.645… → 81 cents.
    assert interest_cents(100_000, D(2027, 3, 15), D(2027, 3, 16)) == 81


def test_whole_months_plus_days_of_the_partial_month():
    # EUR 1,234.56 due 15 January, as of 25 March: 2 months + 10/31 (15 Mar → 15 Apr is 31 days,
    # 15 Mar → 25 Mar is 10 of them). 123456 * 0.025 * (2 + 10/31) = 7168.41… → 7168 cents.
    assert round(months_elapsed(D(2027, 1, 15), D(2027, 3, 25)) * 31, 20) == 72
    assert interest_cents(123_456, D(2027, 1, 15), D(2027, 3, 25)) == 7168


def test_end_of_month_due_date_uses_the_last_day_of_shorter_months():
    # Due 31 January; the first anniversary is 28 February 2027, so as of 28 Feb: one month.
    assert interest_cents(100_000, D(2027, 1, 31), D(2027, 2, 28)) == 2500
    # ... and the second is 31 March, not 28 March.
    assert interest_cents(100_000, D(2027, 1, 31), D(2027, 3, 31)) == 5000


def test_rounds_half_up_once():
    # 200 cents * 0.025 * 1/31 = 0.16 → 0; 2000 cents * 0.025 * 15/30 = 25.0 exactly.
    assert interest_cents(200, D(2027, 3, 15), D(2027, 3, 16)) == 0
    assert interest_cents(2000, D(2027, 4, 15), D(2027, 4, 30)) == 25
    # 60 cents * 0.025 * 1 month = 1.5 → 2 (half up).
    assert interest_cents(60, D(2027, 3, 15), D(2027, 4, 15)) == 2


def test_nothing_owed_means_no_interest():
    assert interest_cents(0, D(2027, 3, 15), D(2027, 6, 15)) == 0
