"""Every query of payments, and the invoice reads that payments and statements need (the
billing domain's repository for its ledger; the rest is src/billing/repository.py).

Payments are tenant-owned (their organisation is the invoice's): read through the
organisation's TenantScope, or `readable` for vendor admins' lists across organisations."""

from __future__ import annotations

from typing import Any

from src.billing.tables import Invoice, Payment
from src.core import db
from src.core.errors import NotFound
from src.core.tenancy import Actor, TenantScope, readable


async def lock_invoice(scope: TenantScope, invoice_id: int) -> dict[str, Any]:
    """The invoice row, locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite runs one write transaction at a time): payments and credit notes of one invoice take
    turns, so each sees what the one before it left open."""
    query = scope.select(Invoice, *Invoice.all_columns()).where(Invoice.id == invoice_id)
    if db.is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFound()
    return row


async def insert_payment(scope: TenantScope, **values: Any) -> dict[str, Any]:
    rows = await Payment.insert(Payment(organisation=scope.organisation_id, **values)).returning(
        *Payment.all_columns()
    )
    return rows[0]


async def payments_of(scope: TenantScope, invoice_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The organisation's payments (of these invoices), oldest first, with the invoice's number."""
    query = (
        scope.select(Payment, *Payment.all_columns(), Payment.invoice.number.as_alias("invoice_number"))
        .order_by(Payment.paid_on)
        .order_by(Payment.id)
    )
    if invoice_ids is not None:
        if not invoice_ids:
            return []
        query = query.where(Payment.invoice.is_in(invoice_ids))
    return await query


async def final_invoices_of(scope: TenantScope, payer_kind: str | None = None) -> list[dict[str, Any]]:
    """The organisation's final invoices (not credit notes), oldest first."""
    query = (
        scope.select(Invoice, *Invoice.all_columns())
        .where(Invoice.status == "final")
        .where(Invoice.kind == "invoice")
        .order_by(Invoice.due_on)
        .order_by(Invoice.id)
    )
    if payer_kind is not None:
        query = query.where(Invoice.payer_kind == payer_kind)
    return await query


async def invoiced_organisations(actor: Actor) -> list[dict[str, Any]]:
    """The organisations with a final invoice of their own (vendor admins: all), by name."""
    rows = await (
        readable(actor, Invoice, Invoice.organisation, Invoice.organisation.name.as_alias("name"))
        .where(Invoice.status == "final")
        .where(Invoice.payer_kind == "organisation")
        .distinct()
    )
    return sorted(
        ({"id": r["organisation"], "name": r["name"]} for r in rows), key=lambda r: r["name"].casefold()
    )


async def invoice_by_number_or_reference(actor: Actor, text: str) -> dict[str, Any] | None:
    """An invoice by its number ("2027-000123") or its payment reference (compact, "RF…")."""
    return await (
        readable(actor, Invoice, Invoice.id, Invoice.organisation, Invoice.number)
        .where((Invoice.number == text) | (Invoice.payment_reference == text))
        .first()
    )


async def recent_payments(actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """Every organisation's latest payments (vendor admins), newest first."""
    return await (
        readable(
            actor,
            Payment,
            *Payment.all_columns(),
            Payment.invoice.number.as_alias("invoice_number"),
            Payment.organisation.name.as_alias("organisation_name"),
        )
        .order_by(Payment.id, ascending=False)
        .limit(limit)
    )


async def set_payment_references(references: dict[int, str]) -> None:
    """Store the payment references of invoices finalised together (invoice id -> reference), in
    one UPDATE (a billing run's batch, services/invoicing.py `finalise_many`)."""
    if not references:
        return
    ids = list(references)
    cases = " ".join("WHEN {} THEN {}" for _ in ids)
    marks = ", ".join("{}" for _ in ids)
    values: list[Any] = [v for item in references.items() for v in item]
    await Invoice.raw(
        f"UPDATE invoice SET payment_reference = CASE id {cases} END WHERE id IN ({marks})",  # noqa: S608
        *values,
        *ids,
    )
