"""API shapes of the overdue ageing and days sales outstanding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class AgeingBuckets(msgspec.Struct):
    """What is open past the due date on `as_of`, in cents, by the days since the due date:
    0-30 (from the day after the due date), 31-60, 61-90 and over 90; `total_cents` their sum."""

    days_0_30_cents: int
    days_31_60_cents: int
    days_61_90_cents: int
    days_over_90_cents: int
    total_cents: int

    @classmethod
    def from_sums(cls, sums: dict[str, int]) -> AgeingBuckets:
        return cls(
            days_0_30_cents=sums["days_0_30_cents"],
            days_31_60_cents=sums["days_31_60_cents"],
            days_61_90_cents=sums["days_61_90_cents"],
            days_over_90_cents=sums["days_over_90_cents"],
            total_cents=sums["total_cents"],
        )


class BucketsPerPayerKind(msgspec.Struct):
    """The buckets of invoices the organisation pays itself, of those a third party pays for it
    (rule BIL-4), and of both together."""

    organisation: AgeingBuckets
    third_party: AgeingBuckets
    total: AgeingBuckets


class Overdue(msgspec.Struct):
    """The overdue ageing on `as_of`, and days sales outstanding over the 90 days up to it:
    `dso_days` = `receivables_cents` (open on `as_of`, due or not) / `invoiced_cents` (final
    invoices issued in those 90 days, VAT included, minus credit notes) x 90, half-even to one
    decimal; null when nothing was invoiced then. Amounts in euro cents."""

    as_of: dt.date
    buckets: BucketsPerPayerKind
    dso_days: float | None
    receivables_cents: int
    invoiced_cents: int

    @classmethod
    def from_result(cls, r: dict[str, Any]) -> Overdue:
        b = r["buckets"]
        return cls(
            as_of=r["as_of"],
            buckets=BucketsPerPayerKind(
                organisation=AgeingBuckets.from_sums(b["organisation"]),
                third_party=AgeingBuckets.from_sums(b["third_party"]),
                total=AgeingBuckets.from_sums(b["total"]),
            ),
            dso_days=None if r["dso_days"] is None else float(r["dso_days"]),
            receivables_cents=r["receivables_cents"],
            invoiced_cents=r["invoiced_cents"],
        )
