"""Final invoices, payments and credit notes written straight into the tables, as the billing
run, the payments and the credit notes leave them, for the overdue ageing tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from src.billing.tables import Invoice, Payment

_numbers = itertools.count(1)


async def final_invoice(
    org: dict[str, Any],
    total_cents: int,
    due_on: dt.date,
    issued_on: dt.date | None = None,
    payer: str = "",
    dunning_state: str = "none",
) -> dict[str, Any]:
    """A final invoice of the organisation (or, with `payer`, of the third party paying for it)."""
    rows = await Invoice.insert(
        Invoice(
            organisation=org["id"],
            kind="invoice",
            status="final",
            number=f"2027-{next(_numbers):06d}",
            period="2027-01",
            payer_kind="third_party" if payer else "organisation",
            payer_name=payer or org["name"],
            customer_name=payer or org["name"],
            total_cents=total_cents,
            net_cents=total_cents,
            issued_on=issued_on or due_on - dt.timedelta(days=30),
            due_on=due_on,
            dunning_state=dunning_state,
        )
    ).returning(*Invoice.all_columns())
    return rows[0]


async def paid(invoice: dict[str, Any], amount_cents: int, paid_on: dt.date) -> None:
    await Payment.insert(
        Payment(
            organisation=invoice["organisation"],
            invoice=invoice["id"],
            payer_kind=invoice["payer_kind"],
            payer_name=invoice["payer_name"],
            amount_cents=amount_cents,
            paid_on=paid_on,
        )
    )


async def credited(invoice: dict[str, Any], total_cents: int, issued_on: dt.date) -> None:
    await Invoice.insert(
        Invoice(
            organisation=invoice["organisation"],
            kind="credit_note",
            status="final",
            number=f"C2027-{next(_numbers):06d}",
            period=invoice["period"],
            payer_kind=invoice["payer_kind"],
            payer_name=invoice["payer_name"],
            total_cents=total_cents,
            net_cents=total_cents,
            issued_on=issued_on,
            due_on=issued_on,
            credits=invoice["id"],
        )
    )
