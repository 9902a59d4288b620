"""The vendor's revenue (vendor admins): final invoices minus final credit notes, net of VAT,
counted in the month the invoice is for (its service period; a credit note counts in the month
of the invoice it credits). Drafts are not revenue yet."""

from __future__ import annotations

from typing import Any

from src.billing import repository
from src.billing.services.proration import Period
from src.billing.tables import Invoice
from src.core.tenancy import Actor, require_vendor_admin


def _months_until(last: Period, count: int) -> list[str]:
    year, month = last.first.year, last.first.month
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(labels))


def _signed(row: dict[str, Any]) -> int:
    cents = int(row["net_cents"] or 0)
    return -cents if row["kind"] == "credit_note" else cents


async def per_month(actor: Actor, last: Period, count: int = 12) -> list[dict[str, Any]]:
    """Revenue in cents of each of the `count` months up to and including `last`, oldest first."""
    require_vendor_admin(actor)
    months = _months_until(last, count)
    totals = dict.fromkeys(months, 0)
    for row in await repository.revenue_sums(actor, months, Invoice.period):
        totals[row["period"]] += _signed(row)
    return [{"period": m, "net_cents": totals[m]} for m in months]


async def per_payer(actor: Actor, months: list[str]) -> list[dict[str, Any]]:
    """Revenue per payer (an organisation, or a third party paying for some of its charges) in
    these months, largest first."""
    require_vendor_admin(actor)
    totals: dict[tuple[str, str], int] = {}
    for row in await repository.revenue_sums(actor, months, Invoice.payer_kind, Invoice.customer_name):
        key = (row["payer_kind"], row["customer_name"])
        totals[key] = totals.get(key, 0) + _signed(row)
    return [
        {"payer_kind": kind, "name": name, "net_cents": cents}
        for (kind, name), cents in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]
