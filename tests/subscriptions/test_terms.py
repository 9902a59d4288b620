"""The dates of the subscription terms, at their boundaries (rules SUB-2, SUB-3, SUB-4)."""

import datetime as dt

import pytest

from src.subscriptions.services import terms

D = dt.date


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        (D(2027, 1, 15), D(2027, 4, 15)),  # an ordinary day
        (D(2027, 1, 31), D(2027, 4, 30)),  # the 31st: April has 30 days
        (D(2027, 3, 31), D(2027, 6, 30)),
        (D(2027, 11, 30), D(2028, 2, 29)),  # end of a month into a leap February
        (D(2026, 11, 30), D(2027, 2, 28)),  # and into an ordinary one
        (D(2028, 2, 29), D(2028, 5, 29)),  # given on 29 February
        (D(2027, 2, 28), D(2027, 5, 28)),  # the end of February is not "the end of the month"
        (D(2027, 10, 1), D(2028, 1, 1)),  # across the year
    ],
)
def test_a_downgrade_or_cancellation_takes_effect_when_three_months_notice_end(given, effective):
    # rule SUB-3
    assert terms.notice_ends_on(given) == effective


def test_two_notices_on_one_day_end_on_one_day():
    # rule SUB-3
    assert terms.notice_ends_on(D(2027, 5, 31)) == terms.notice_ends_on(D(2027, 5, 31)) == D(2027, 8, 31)


def test_a_price_change_is_allowed_exactly_four_months_ahead_and_not_a_day_less():
    # rule SUB-4
    announced = D(2027, 1, 10)
    assert terms.earliest_price_change(announced) == D(2027, 5, 10)
    assert terms.earliest_price_change(D(2026, 10, 31)) == D(2027, 2, 28)
    assert terms.earliest_price_change(D(2027, 10, 31)) == D(2028, 2, 29)


@pytest.mark.parametrize(
    ("current", "proposed", "kind"),
    [(1000, 1500, "upgrade"), (1500, 1000, "downgrade"), (1000, 1000, "same")],
)
def test_a_change_is_an_upgrade_when_the_monthly_amount_rises(current, proposed, kind):
    # rule SUB-2: an upgrade takes effect at once, a downgrade under notice
    assert terms.direction(current, proposed) == kind
    # more units of the same variant are an upgrade too
    assert terms.direction(terms.monthly_amount(500, 2), terms.monthly_amount(500, 3)) == "upgrade"


def test_the_first_invoice_follows_the_first_month():
    assert terms.first_invoice_on(D(2027, 1, 15)) == D(2027, 2, 1)
    assert terms.first_invoice_on(D(2027, 12, 1)) == D(2028, 1, 1)
