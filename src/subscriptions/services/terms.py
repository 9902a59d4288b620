"""The dates of the subscription terms (004 §1.4, §4; rules SUB-2, SUB-3, SUB-4).

Pure functions of dates, so that every boundary is tested once, here.

**Notice periods (SUB-3).** A downgrade, fewer units or a cancellation given on day D with a
notice period of N months takes effect on D plus N calendar months: the same day number N
months later, or the last day of that month when it has no such day (given on 31 January,
three months: 30 April; on 30 November 2027: 29 February 2028). It takes effect at the start of
that day in the organisation's time zone; the day before is the last day at the old terms.
The seed says only "with a notice period of three months"; this reading charges exactly the
notice period and no more, and services are invoiced per day (a month's price spread over
its days), so a change in the middle of a month costs nobody anything extra. Waiting for the
next first of the month would lengthen the notice by up to a month, which the terms do not say.

**Upgrades (SUB-2)** take effect on the day they are given.

**Price changes (SUB-4)** are announced at least four months before they take effect: a new
price announced on day D may take effect on D plus four calendar months (counted as above) or
later, never earlier.
"""

from __future__ import annotations

import calendar
import datetime as dt

NOTICE_MONTHS = 3  # 004 §4: every service of the catalogue
PRICE_NOTICE_MONTHS = 4  # SUB-4


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number `months` calendar months later (earlier when negative), or the
    last day of that month when it is shorter."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def notice_ends_on(given_on: dt.date, notice_months: int = NOTICE_MONTHS) -> dt.date:
    """The day a downgrade or cancellation given on `given_on` takes effect (SUB-3)."""
    if notice_months < 0:
        raise ValueError("a notice period is not negative")
    return add_months(given_on, notice_months)


def earliest_price_change(announced_on: dt.date) -> dt.date:
    """The first day a price announced on `announced_on` may take effect (SUB-4)."""
    return add_months(announced_on, PRICE_NOTICE_MONTHS)


def first_invoice_on(starts_on: dt.date) -> dt.date:
    """Services are invoiced monthly in arrears (004 §1.7.1), on the first day of the next month."""
    return add_months(starts_on.replace(day=1), 1)


def monthly_amount(unit_price_cents: int, quantity: int) -> int:
    return unit_price_cents * quantity


def direction(current_cents: int, proposed_cents: int) -> str:
    """`upgrade` when the monthly amount rises, `downgrade` when it falls, `same` otherwise."""
    if proposed_cents > current_cents:
        return "upgrade"
    if proposed_cents < current_cents:
        return "downgrade"
    return "same"


# VAT (shown with every price; invoicing uses the same rule). Rates in basis points.
STANDARD_VAT_BASIS_POINTS = {"NL": 2100, "SE": 2500}


def vat_basis_points(tax_category: str, vendor_country: str, customer_country: str) -> int | None:
    """The VAT rate on a catalogue item, in basis points (2100 = 21 %), for a customer: the vendor
    country's standard rate for a customer in the same country, 0 for exempt and zero-rated items,
    and None for a business customer in another EU country (reverse charge: the customer accounts
    for the VAT)."""
    if tax_category in ("exempt", "zero"):
        return 0
    if customer_country and customer_country != vendor_country:
        return None
    return STANDARD_VAT_BASIS_POINTS.get(vendor_country, 0)


def vat_cents(net_cents: int, basis_points: int | None) -> int:
    """The VAT on an amount, rounded half up to the cent."""
    if not basis_points:
        return 0
    return (net_cents * basis_points + 5_000) // 10_000
