"""Overdue ageing and days sales outstanding as of a day (vendor admins; rules BIL-4, BIL-7).

**Ageing.** What is open on `as_of` of each final invoice issued by then (its total minus the
payments made and the credit notes issued by that day; an invoice paid or credited in full is not
overdue), past its due date, in four buckets by the days since the due date: 0-30 (an invoice is
overdue the day after its due date, so the first bucket starts at one day late), 31-60, 61-90 and
over 90; per payer kind, the organisation itself or a third party paying for it (BIL-4), with the
totals. Payments dated after `as_of` do not count: the ageing of a past day says what was
overdue then.

**Days sales outstanding** over the last 90 days: the receivables open on `as_of` (due or not)
divided by what was invoiced in the 90 days up to and including `as_of` (final invoices, VAT
included as in the receivables, minus credit notes issued then), times 90; rounded half-even to
one decimal. Nothing invoiced in those days: no figure.

Everything is summed in the database (repository/overdue.py): three queries whatever the number
of invoices.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from src.billing.repository import overdue as rows
from src.billing.services import balances
from src.core import clock
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin

PAYER_KINDS = ("organisation", "third_party")
BUCKETS = rows.BUCKETS
DSO_DAYS = 90
LARGEST = 20
EARLIEST_YEAR = 2000
MAX_YEARS_AHEAD = 10


def parse_as_of(value: Any, today: dt.date) -> dt.date:
    """`YYYY-MM-DD` from 2000 to ten years ahead, today when not given; otherwise an error naming
    `as_of`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return today
    try:
        day = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise InputError({"as_of": _("Give the date as YYYY-MM-DD.")})
    last = today.year + MAX_YEARS_AHEAD
    if not EARLIEST_YEAR <= day.year <= last:
        raise InputError(
            {"as_of": _("Choose a date from %(first)s to %(last)s.", first=EARLIEST_YEAR, last=last)}
        )
    return day


def days_sales_outstanding(
    receivables_cents: int, invoiced_cents: int, days: int = DSO_DAYS
) -> Decimal | None:
    """(receivables / invoiced in the period) x days, half-even to one decimal; None when
    nothing (or less than nothing) was invoiced."""
    if invoiced_cents <= 0:
        return None
    value = Decimal(receivables_cents) / Decimal(invoiced_cents) * days
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def _empty() -> dict[str, int]:
    return {**dict.fromkeys(BUCKETS, 0), "total_cents": 0, "not_due_cents": 0}


async def ageing(actor: Actor, as_of: dt.date) -> dict[str, Any]:
    """The overdue ageing and days sales outstanding on `as_of`: `buckets` per payer kind and
    `total` (each with the four buckets and `total_cents`), `receivables_cents`, `invoiced_cents`
    (the last 90 days), `dso_days`, and the `largest` overdue invoices."""
    require_vendor_admin(actor)
    buckets = {kind: _empty() for kind in (*PAYER_KINDS, "total")}
    for row in await rows.ageing(actor, as_of):
        kind = row["payer_kind"] if row["payer_kind"] in PAYER_KINDS else "organisation"
        for key in (*BUCKETS, "not_due_cents"):
            buckets[kind][key] += row[key]
            buckets["total"][key] += row[key]
    for sums in buckets.values():
        sums["total_cents"] = sum(sums[key] for key in BUCKETS)
    receivables = buckets["total"]["total_cents"] + buckets["total"]["not_due_cents"]
    first = as_of - dt.timedelta(days=DSO_DAYS - 1)
    invoiced = await rows.invoiced_between(actor, first, as_of)
    largest = await rows.largest_overdue(actor, as_of, LARGEST)
    for item in largest:
        item["days_late"] = (as_of - item["due_on"]).days
        item["dunning_state"] = balances.dunning_state(item, as_of)
    return {
        "as_of": as_of,
        "buckets": buckets,
        "receivables_cents": receivables,
        "invoiced_cents": invoiced,
        "dso_first_day": first,
        "dso_days": days_sales_outstanding(receivables, invoiced),
        "largest": largest,
    }


async def ageing_as_of(actor: Actor, as_of: Any) -> dict[str, Any]:
    """`ageing` for a date as given (`YYYY-MM-DD`, default today in the vendor's time zone); a bad
    date is an InputError naming `as_of`."""
    require_vendor_admin(actor)
    return await ageing(actor, parse_as_of(as_of, clock.today()))
