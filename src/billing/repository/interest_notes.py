"""The reads of interest notes (services/interest_notes.py): tenant-owned `Invoice` rows of kind
"interest_note", read through the organisation's TenantScope."""

from __future__ import annotations

from typing import Any

from src.billing.tables import Invoice, InvoiceLine
from src.core.tenancy import TenantScope

KIND = "interest_note"


async def notes_of(scope: TenantScope, invoice_ids: list[int]) -> list[dict[str, Any]]:
    """The interest notes made for these invoices, oldest first, each saying whether it charges
    collection costs (`with_costs`)."""
    if not invoice_ids:
        return []
    notes = await (
        scope.select(Invoice, *Invoice.all_columns())
        .where(Invoice.kind == KIND)
        .where(Invoice.interest_of.is_in(invoice_ids))
        .where(Invoice.status == "final")
        .order_by(Invoice.interest_to)
        .order_by(Invoice.id)
    )
    if not notes:
        return []
    costs = await (
        scope.select(InvoiceLine, InvoiceLine.invoice)
        .where(InvoiceLine.invoice.is_in([int(n["id"]) for n in notes]))
        .where(InvoiceLine.source_type == "collection_costs")
    )
    with_costs = {int(r["invoice"]) for r in costs}
    return [{**n, "with_costs": int(n["id"]) in with_costs} for n in notes]


async def note_by_key(scope: TenantScope, note_key: str) -> dict[str, Any] | None:
    return await scope.select(Invoice, *Invoice.all_columns()).where(Invoice.note_key == note_key).first()


async def invoice_facts(scope: TenantScope, invoice_id: int) -> dict[str, Any] | None:
    """The number and dates of the invoice an interest note is for (of the same organisation)."""
    return (
        await scope.select(Invoice, Invoice.number, Invoice.issued_on, Invoice.due_on)
        .where(Invoice.id == invoice_id)
        .first()
    )
