"""Every query of the billing domain's tables: invoices and their lines (tenant-owned), billing
runs and number series.

An organisation's invoices are read through its TenantScope or `readable` (vendor admins: all).
A billing run acts for every organisation (the billing actor is a vendor admin); its batches
write each organisation's invoices through that organisation's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Sum

from src.billing.tables import (
    BillingBatch,
    BillingRun,
    Invoice,
    InvoiceDispute,
    InvoiceDocument,
    InvoiceLine,
    NumberSeries,
)
from src.core import outbox
from src.core.tables import OutboxMessage
from src.core.tenancy import Actor, TenantScope, readable
from src.tenants.tables import Person

# --- number series --------------------------------------------------------------------------------


async def next_in_series(key: str) -> int:
    await NumberSeries.insert(NumberSeries(key=key, last_number=0)).on_conflict(
        target=NumberSeries.key, action="DO NOTHING"
    )
    rows = await (
        NumberSeries.update({NumberSeries.last_number: NumberSeries.last_number + 1})
        .where(NumberSeries.key == key)
        .returning(NumberSeries.last_number)
    )
    return int(rows[0]["last_number"])


async def take_from_series(key: str, count: int) -> int:
    """Take `count` numbers of a series at once; the first of them. The UPDATE locks the series
    row until the transaction ends, as `next_in_series` does."""
    await NumberSeries.insert(NumberSeries(key=key, last_number=0)).on_conflict(
        target=NumberSeries.key, action="DO NOTHING"
    )
    rows = await (
        NumberSeries.update({NumberSeries.last_number: NumberSeries.last_number + count})
        .where(NumberSeries.key == key)
        .returning(NumberSeries.last_number)
    )
    return int(rows[0]["last_number"]) - count + 1


# --- billing runs ---------------------------------------------------------------------------------


async def insert_run(**values: Any) -> dict[str, Any]:
    rows = await BillingRun.insert(BillingRun(**values)).returning(*BillingRun.all_columns())
    return rows[0]


async def run(run_id: int) -> dict[str, Any] | None:
    return await BillingRun.select().where(BillingRun.id == run_id).first()


async def runs(limit: int = 24) -> list[dict[str, Any]]:
    return await BillingRun.select().order_by(BillingRun.id, ascending=False).limit(limit)


async def insert_batches(run_id: int, batches: list[list[int]]) -> None:
    if batches:
        await BillingBatch.insert(
            *[BillingBatch(billing_run=run_id, position=i, organisations=b) for i, b in enumerate(batches)]
        )


async def batch(run_id: int, position: int) -> dict[str, Any] | None:
    return await (
        BillingBatch.select()
        .where(BillingBatch.billing_run == run_id)
        .where(BillingBatch.position == position)
        .first()
    )


async def finish_batch(run_id: int, position: int) -> bool:
    """Mark a batch done, once: False when it was done already."""
    done = await (
        BillingBatch.update({BillingBatch.done: True})
        .where(BillingBatch.billing_run == run_id)
        .where(BillingBatch.position == position)
        .where(BillingBatch.done.eq(False))
        .returning(BillingBatch.id)
    )
    return bool(done)


async def count_batch_done(run_id: int) -> tuple[int, int]:
    """Count one more batch done; (done, total). The UPDATE locks the run's row until the
    transaction ends, so batches finishing at the same moment count one after the other and
    exactly one of them sees the last."""
    rows = await (
        BillingRun.update({BillingRun.batches_done: BillingRun.batches_done + 1})
        .where(BillingRun.id == run_id)
        .returning(BillingRun.batches_done, BillingRun.batches_total)
    )
    return int(rows[0]["batches_done"]), int(rows[0]["batches_total"])


async def given_up_batches(run_id: int, actor_name: str) -> list[dict[str, Any]]:
    """The run's batch messages the workers gave up on (their retries spent), oldest first."""
    return await (
        OutboxMessage.select(OutboxMessage.id, OutboxMessage.dedupe_key, OutboxMessage.last_error)
        .where(OutboxMessage.actor_name == actor_name)
        .where(OutboxMessage.dedupe_key.like(f"billing-run:{run_id}:%"))
        .where(outbox.given_up())
        .order_by(OutboxMessage.id)
    )


async def update_run(run_id: int, **values: Any) -> None:
    await BillingRun.update({getattr(BillingRun, k): v for k, v in values.items()}).where(
        BillingRun.id == run_id
    )


async def run_totals(run_id: int) -> dict[str, int]:
    """How far a run is: its invoices and their total."""
    rows = await Invoice.select(Invoice.total_cents).where(Invoice.billing_run == run_id)
    return {"invoices": len(rows), "total_cents": sum(int(r["total_cents"]) for r in rows)}


# --- invoices -------------------------------------------------------------------------------------


async def invoice_with_key(scope: TenantScope, run_key: str) -> dict[str, Any] | None:
    return await scope.select(Invoice, Invoice.id).where(Invoice.run_key == run_key).first()


async def insert_invoice(scope: TenantScope, **values: Any) -> int:
    rows = await Invoice.insert(Invoice(organisation=scope.organisation_id, **values)).returning(Invoice.id)
    return int(rows[0]["id"])


async def insert_lines(scope: TenantScope, invoice_id: int, lines: list[dict[str, Any]]) -> None:
    await scope.get(Invoice, invoice_id, Invoice.id)
    if lines:
        await InvoiceLine.insert(
            *[InvoiceLine(invoice=invoice_id, position=i, **line) for i, line in enumerate(lines)]
        )


async def set_invoice(scope: TenantScope, invoice_id: int, **values: Any) -> None:
    await (
        Invoice.update({getattr(Invoice, k): v for k, v in values.items()})
        .where(Invoice.id == invoice_id)
        .where(Invoice.organisation == scope.organisation_id)
    )


async def claim_draft(scope: TenantScope, invoice_id: int) -> bool:
    """Mark a draft final, once: False when it was final already (another finalisation won).
    The conditional UPDATE locks the row until the transaction ends (PostgreSQL), so of two
    finalisations at once only one changes it and goes on to take a number."""
    rows = await (
        Invoice.update({Invoice.status: "final"})
        .where(Invoice.id == invoice_id)
        .where(Invoice.organisation == scope.organisation_id)
        .where(Invoice.status == "draft")
        .returning(Invoice.id)
    )
    return bool(rows)


async def claim_drafts(invoice_ids: list[int]) -> list[dict[str, Any]]:
    """Mark these drafts final, each once: the ones this call changed (id, organisation, kind),
    in id order. Drafts another finalisation claimed first are left out (see `claim_draft`)."""
    if not invoice_ids:
        return []
    rows = await (
        Invoice.update({Invoice.status: "final"})
        .where(Invoice.id.is_in(invoice_ids))
        .where(Invoice.status == "draft")
        .returning(Invoice.id, Invoice.organisation, Invoice.kind)
    )
    return sorted(rows, key=lambda r: int(r["id"]))


async def number_claimed(
    numbers: dict[int, str], issued_on: dt.date, due_on: dt.date, finalised_at: dt.datetime
) -> None:
    """Give claimed drafts their numbers and dates: one UPDATE for the dates, one for the numbers."""
    if not numbers:
        return
    ids = list(numbers)
    await Invoice.update(
        {Invoice.issued_on: issued_on, Invoice.due_on: due_on, Invoice.finalised_at: finalised_at}
    ).where(Invoice.id.is_in(ids))
    cases = " ".join("WHEN {} THEN {}" for _ in ids)
    marks = ", ".join("{}" for _ in ids)
    values: list[Any] = [v for item in numbers.items() for v in item]
    await Invoice.raw(
        f"UPDATE invoice SET number = CASE id {cases} END WHERE id IN ({marks})",  # noqa: S608
        *values,
        *ids,
    )


async def drafts_due(before: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Drafts made at or before this moment (their review period has ended), oldest first."""
    return await (
        Invoice.select(Invoice.id, Invoice.organisation)
        .where(Invoice.status == "draft")
        .where(Invoice.created_at <= before)
        .order_by(Invoice.id)
        .limit(limit)
    )


async def drafts(actor: Actor, run_id: int | None = None) -> list[dict[str, Any]]:
    """Every organisation's drafts (vendor admins), oldest first, with the organisation's name."""
    query = (
        readable(
            actor,
            Invoice,
            *Invoice.all_columns(),
            Invoice.organisation.name.as_alias("organisation_name"),
        )
        .where(Invoice.status == "draft")
        .order_by(Invoice.id)
    )
    if run_id is not None:
        query = query.where(Invoice.billing_run == run_id)
    return await query


async def drafts_of_run(run_id: int, organisations: list[int] | None = None) -> list[dict[str, Any]]:
    """The run's drafts, or those of some of its organisations (a batch's)."""
    query = (
        Invoice.select(Invoice.id, Invoice.organisation)
        .where(Invoice.billing_run == run_id)
        .where(Invoice.status == "draft")
    )
    if organisations is not None:
        if not organisations:
            return []
        query = query.where(Invoice.organisation.is_in(organisations))
    return await query


async def invoices_of(scope: TenantScope) -> list[dict[str, Any]]:
    return await (
        scope.select(Invoice, *Invoice.all_columns())
        .where(Invoice.status == "final")
        .order_by(Invoice.issued_on, ascending=False)
        .order_by(Invoice.id, ascending=False)
    )


async def invoice(scope: TenantScope, invoice_id: int) -> dict[str, Any]:
    return await scope.get(Invoice, invoice_id, *Invoice.all_columns())


async def lines_of(scope: TenantScope, invoice_ids: list[int]) -> list[dict[str, Any]]:
    if not invoice_ids:
        return []
    return await (
        scope.select(InvoiceLine, *InvoiceLine.all_columns())
        .where(InvoiceLine.invoice.is_in(invoice_ids))
        .order_by(InvoiceLine.invoice)
        .order_by(InvoiceLine.position)
    )


async def all_invoices(actor: Actor, period: str | None = None) -> list[dict[str, Any]]:
    query = readable(actor, Invoice, *Invoice.all_columns()).order_by(Invoice.id, ascending=False)
    if period:
        query = query.where(Invoice.period == period)
    return await query


async def revenue_sums(actor: Actor, periods: list[str], *by: Any) -> list[dict[str, Any]]:
    """Net cents of the final invoices and of the final credit notes for these months, summed in
    the database per `kind` and the columns `by` (revenue, services/revenue.py)."""
    if not periods:
        return []
    return await (
        readable(actor, Invoice, Invoice.kind, *by, Sum(Invoice.net_cents, alias="net_cents"))
        .where(Invoice.status == "final")
        .where(Invoice.period.is_in(periods))
        .group_by(Invoice.kind, *by)
    )


async def invoices_since(actor: Actor, day: dt.date) -> list[dict[str, Any]]:
    return await readable(actor, Invoice, *Invoice.all_columns()).where(Invoice.issued_on >= day)


# --- invoice documents ----------------------------------------------------------------------------


async def credited_invoice(scope: TenantScope, invoice_id: int) -> dict[str, Any] | None:
    """The number and date of the invoice a credit note credits (of the same organisation)."""
    return (
        await scope.select(Invoice, Invoice.number, Invoice.issued_on).where(Invoice.id == invoice_id).first()
    )


async def document_kinds(scope: TenantScope, invoice_id: int) -> set[str]:
    rows = await scope.select(InvoiceDocument, InvoiceDocument.kind).where(
        InvoiceDocument.invoice == invoice_id
    )
    return {r["kind"] for r in rows}


async def document(scope: TenantScope, invoice_id: int, kind: str) -> bytes | None:
    row = await (
        scope.select(InvoiceDocument, InvoiceDocument.content)
        .where(InvoiceDocument.invoice == invoice_id)
        .where(InvoiceDocument.kind == kind)
        .first()
    )
    return None if row is None else bytes(row["content"])


async def store_document(scope: TenantScope, invoice_id: int, kind: str, content: bytes) -> None:
    """Store a document once: a second one of the same invoice and kind is ignored."""
    await scope.get(Invoice, invoice_id, Invoice.id)
    await InvoiceDocument.insert(
        InvoiceDocument(invoice=invoice_id, kind=kind, document_key=f"{invoice_id}:{kind}", content=content)
    ).on_conflict(target=InvoiceDocument.document_key, action="DO NOTHING")


async def invoices_with_documents(scope: TenantScope, invoice_ids: list[int]) -> set[int]:
    """Of these invoices, those whose PDF is stored (the e-invoice is stored with it)."""
    if not invoice_ids:
        return set()
    rows = await (
        scope.select(InvoiceDocument, InvoiceDocument.invoice)
        .where(InvoiceDocument.invoice.is_in(invoice_ids))
        .where(InvoiceDocument.kind == "pdf")
    )
    return {int(r["invoice"]) for r in rows}


async def organisation_of_invoice(actor: Actor, invoice_id: int) -> int | None:
    row = await readable(actor, Invoice, Invoice.organisation).where(Invoice.id == invoice_id).first()
    return None if row is None else int(row["organisation"])


# --- credit notes ---------------------------------------------------------------------------------


async def credit_notes_of(scope: TenantScope, invoice_ids: list[int]) -> list[dict[str, Any]]:
    """The final credit notes made on these invoices, oldest first."""
    if not invoice_ids:
        return []
    return await (
        scope.select(Invoice, *Invoice.all_columns())
        .where(Invoice.credits.is_in(invoice_ids))
        .where(Invoice.status == "final")
        .order_by(Invoice.id)
    )


async def credited_lines(scope: TenantScope, line_ids: list[int]) -> dict[int, str]:
    """Of these lines, those credited already: line id -> the number of the credit note."""
    if not line_ids:
        return {}
    rows = await (
        scope.select(InvoiceLine, InvoiceLine.source_id, InvoiceLine.invoice.number)
        .where(InvoiceLine.source_type == "credit")
        .where(InvoiceLine.source_id.is_in(line_ids))
    )
    return {int(r["source_id"]): r["invoice.number"] or "" for r in rows}


async def invoice_numbers(scope: TenantScope, invoice_ids: list[int]) -> dict[int, str]:
    if not invoice_ids:
        return {}
    rows = await scope.select(Invoice, Invoice.id, Invoice.number).where(Invoice.id.is_in(invoice_ids))
    return {int(r["id"]): r["number"] or "" for r in rows}


# --- disputes -------------------------------------------------------------------------------------

DISPUTE_COLUMNS = (
    *InvoiceDispute.all_columns(),
    InvoiceDispute.invoice.number.as_alias("invoice_number"),
    InvoiceDispute.invoice.issued_on.as_alias("invoice_issued_on"),
    InvoiceDispute.invoice.due_on.as_alias("invoice_due_on"),
    InvoiceDispute.line.description.as_alias("line_description"),
    InvoiceDispute.credit_note.number.as_alias("credit_note_number"),
    InvoiceDispute.organisation.name.as_alias("organisation_name"),
)


async def insert_dispute(scope: TenantScope, **values: Any) -> int:
    rows = await InvoiceDispute.insert(
        InvoiceDispute(organisation=scope.organisation_id, **values)
    ).returning(InvoiceDispute.id)
    return int(rows[0]["id"])


async def dispute(scope: TenantScope, dispute_id: int) -> dict[str, Any]:
    return await scope.get(InvoiceDispute, dispute_id, *DISPUTE_COLUMNS)


async def organisation_of_dispute(actor: Actor, dispute_id: int) -> int | None:
    row = await (
        readable(actor, InvoiceDispute, InvoiceDispute.organisation)
        .where(InvoiceDispute.id == dispute_id)
        .first()
    )
    return None if row is None else int(row["organisation"])


async def disputes_of(scope: TenantScope, invoice_id: int) -> list[dict[str, Any]]:
    return await (
        scope.select(InvoiceDispute, *DISPUTE_COLUMNS)
        .where(InvoiceDispute.invoice == invoice_id)
        .order_by(InvoiceDispute.id)
    )


async def resolve_dispute(scope: TenantScope, dispute_id: int, **values: Any) -> bool:
    """Resolve an open dispute, once: False when it was resolved already."""
    rows = await (
        InvoiceDispute.update({getattr(InvoiceDispute, k): v for k, v in values.items()})
        .where(InvoiceDispute.id == dispute_id)
        .where(InvoiceDispute.organisation == scope.organisation_id)
        .where(InvoiceDispute.status == "open")
        .returning(InvoiceDispute.id)
    )
    return bool(rows)


async def open_disputes(actor: Actor) -> list[dict[str, Any]]:
    """Every organisation's open disputes (vendor admins), oldest first."""
    return await (
        readable(actor, InvoiceDispute, *DISPUTE_COLUMNS)
        .where(InvoiceDispute.status == "open")
        .order_by(InvoiceDispute.id)
    )


async def vendor_admin_addresses() -> list[dict[str, Any]]:
    """The active vendor admins with an e-mail address (people, not tenant-owned rows)."""
    return await (
        Person.select(Person.id, Person.name, Person.email, Person.locale)
        .where(Person.is_vendor_admin.eq(True))
        .where(Person.active.eq(True))
        .where(Person.email != "")
        .order_by(Person.id)
    )
