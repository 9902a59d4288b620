"""API shapes of billing runs and invoices."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec


class NewBillingRun(msgspec.Struct, forbid_unknown_fields=True):
    """The month to invoice, `YYYY-MM`; it must have ended (422 naming `period` otherwise)."""

    period: str


class BillingRunOut(msgspec.Struct):
    """A billing run: `status` "running" until every batch is invoiced, then "done"; "failed"
    while a batch the workers gave up on (`failed_batches`, the last `error`) waits to be started
    again (`POST /api/v1/billing-runs/{id}/retry`)."""

    id: int
    period: str
    status: Literal["running", "done", "failed"]
    organisations: int
    batches_total: int
    batches_done: int
    invoices: int
    total_cents: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    failed_batches: int = 0
    error: str = ""

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> BillingRunOut:
        return cls(
            id=r["id"],
            period=r["period"],
            status=r["status"],
            organisations=r["organisations"],
            batches_total=r["batches_total"],
            batches_done=r.get("batches_done", 0),
            invoices=r.get("invoices", 0),
            total_cents=r.get("total_cents", 0),
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            failed_batches=r.get("failed_batches", 0),
            error=r.get("error", "") if r["status"] == "failed" else "",
        )


class InvoiceLineOut(msgspec.Struct):
    """A line: `quantity` units (C62), months or days (DAY) at `unit_price` (a decimal in the
    invoice's currency); `net_cents` rounded once per line; `vat_category` S standard, E exempt,
    Z zero-rated, AE reverse charge (EN 16931); `vat_rate` in percent."""

    id: int
    description: str
    quantity: str
    unit_code: str
    unit_price: str
    unit_price_cents: int
    net_cents: int
    vat_category: Literal["S", "E", "Z", "AE"]
    vat_rate: float
    first_day: dt.date | None
    last_day: dt.date | None


class InvoiceOut(msgspec.Struct):
    """An invoice (or credit note): numbered, dated and due from its finalisation on; `payer`
    is the organisation or the third party paying for it (rule BIL-4)."""

    id: int
    number: str | None
    kind: Literal["invoice", "credit_note"]
    status: Literal["draft", "final"]
    issued_on: dt.date | None
    due_on: dt.date | None
    period: str
    payer: str
    currency: str
    net_cents: int
    vat_cents: int
    total_cents: int
    lines: list[InvoiceLineOut]

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> InvoiceOut:
        return cls(
            id=r["id"],
            number=r["number"],
            kind=r["kind"],
            status=r["status"],
            issued_on=r["issued_on"],
            due_on=r["due_on"],
            period=r["period"],
            payer=r["payer_name"] or r["customer_name"],
            currency=r["currency"],
            net_cents=r["net_cents"],
            vat_cents=r["vat_cents"],
            total_cents=r["total_cents"],
            lines=[
                InvoiceLineOut(
                    id=x["id"],
                    description=x["description"],
                    quantity=x["quantity"],
                    unit_code=x["unit_code"],
                    unit_price=x["unit_price"],
                    unit_price_cents=round(float(x["unit_price"]) * 100),
                    net_cents=x["net_cents"],
                    vat_category=x["vat_category"],
                    vat_rate=x["vat_basis_points"] / 100,
                    first_day=x["first_day"],
                    last_day=x["last_day"],
                )
                for x in r["lines"]
            ],
        )
