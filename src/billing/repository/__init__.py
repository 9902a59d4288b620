"""Every query of the billing domain's tables: invoices and their lines (tenant-owned), billing
runs and number series.

An organisation's invoices are read through its TenantScope or `readable` (vendor admins: all).
A billing run acts for every organisation (the billing actor is a vendor admin); its batches
write each organisation's invoices through that organisation's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from src.billing.tables import (
    BankLine,
    BankStatement,
    BillingBatch,
    BillingRun,
    Invoice,
    InvoiceDispute,
    InvoiceDocument,
    InvoiceLine,
    InvoiceReminder,
    NumberSeries,
    Payment,
    StripeCustomer,
    StripeEvent,
    StripeIntent,
)
from src.core import db, outbox
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
    """How far a run is: its invoices and their total, counted in the database (the progress bar
    and the runs page ask it over and over while the run goes)."""
    rows = await Invoice.select(
        Count(Invoice.id, alias="invoices"), Sum(Invoice.total_cents, alias="total")
    ).where(Invoice.billing_run == run_id)
    row = rows[0] if rows else {}
    return {"invoices": int(row.get("invoices") or 0), "total_cents": int(row.get("total") or 0)}


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


# --- bank statements --------------------------------------------------------------------------------
# Imported by vendor admins: a line is any customer's payment until it is matched to an invoice.


async def insert_bank_statement(**values: Any) -> dict[str, Any] | None:
    """A new statement, or None when one with its identity was imported before."""
    rows = await (
        BankStatement.insert(BankStatement(**values))
        .on_conflict(target=BankStatement.identity, action="DO NOTHING")
        .returning(*BankStatement.all_columns())
    )
    return rows[0] if rows else None


async def bank_statement_by_identity(identity: str) -> dict[str, Any] | None:
    return await BankStatement.select().where(BankStatement.identity == identity).first()


async def insert_bank_line(**values: Any) -> dict[str, Any] | None:
    """A new line, or None when its key was on a statement imported before."""
    rows = await (
        BankLine.insert(BankLine(**values))
        .on_conflict(target=BankLine.key, action="DO NOTHING")
        .returning(*BankLine.all_columns())
    )
    return rows[0] if rows else None


async def bank_line(line_id: int, lock: bool = False) -> dict[str, Any] | None:
    query = BankLine.select(*BankLine.all_columns()).where(BankLine.id == line_id)
    if lock and db.is_postgres():
        query = query.lock_rows()
    return await query.first()


async def set_bank_line(line_id: int, **values: Any) -> None:
    await BankLine.update({getattr(BankLine, k): v for k, v in values.items()}).where(BankLine.id == line_id)


async def count_matched(statement_id: int) -> None:
    matched = (
        await BankLine.count().where(BankLine.statement == statement_id).where(BankLine.status == "matched")
    )
    await BankStatement.update({BankStatement.matched: matched}).where(BankStatement.id == statement_id)


async def bank_statements(limit: int = 50) -> list[dict[str, Any]]:
    return await BankStatement.select().order_by(BankStatement.id, ascending=False).limit(limit)


async def unmatched_bank_lines(limit: int = 200) -> list[dict[str, Any]]:
    return await (
        BankLine.select(*BankLine.all_columns())
        .where(BankLine.status == "unmatched")
        .order_by(BankLine.booked_on)
        .order_by(BankLine.id)
        .limit(limit)
    )


async def invoice_to_match(reference: str = "", number: str = "") -> dict[str, Any] | None:
    """A final invoice or interest note (not a credit note) by its payment reference or its number."""
    query = Invoice.select(Invoice.id, Invoice.organisation, Invoice.number).where(
        Invoice.kind.is_in(["invoice", "interest_note"])
    )
    query = query.where(Invoice.status == "final")
    if reference:
        query = query.where(Invoice.payment_reference == reference)
    elif number:
        query = query.where(Invoice.number == number)
    else:
        return None
    return await query.first()


# --- reminders --------------------------------------------------------------------------------------


async def overdue_invoices(today: dt.date, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Final invoices whose due date has passed and whose claim is not in collection yet, by id
    from `after_id` on (the daily reminder job pages through them); paid ones are among them,
    the job sees what is open."""
    return await (
        Invoice.select(Invoice.id, Invoice.organisation)
        .where(Invoice.kind == "invoice")
        .where(Invoice.status == "final")
        .where(Invoice.due_on < today)
        .where(Invoice.dunning_state != "collection")
        .where(Invoice.id > after_id)
        .order_by(Invoice.id)
        .limit(limit)
    )


async def set_dunning_state(scope: TenantScope, invoice_id: int, before: str, after: str) -> bool:
    """Move an invoice on in the reminder schedule, once: False when it had moved already."""
    rows = await (
        Invoice.update({Invoice.dunning_state: after})
        .where(Invoice.id == invoice_id)
        .where(Invoice.organisation == scope.organisation_id)
        .where(Invoice.dunning_state == before)
        .returning(Invoice.id)
    )
    return bool(rows)


async def insert_reminder(scope: TenantScope, **values: Any) -> None:
    await InvoiceReminder.insert(InvoiceReminder(organisation=scope.organisation_id, **values))


async def reminders_of(scope: TenantScope, invoice_ids: list[int]) -> list[dict[str, Any]]:
    if not invoice_ids:
        return []
    return await (
        scope.select(InvoiceReminder, *InvoiceReminder.all_columns())
        .where(InvoiceReminder.invoice.is_in(invoice_ids))
        .order_by(InvoiceReminder.id)
    )


# --- online payment (Stripe) ------------------------------------------------------------------------
# Customers, intents and events are read here by the services of a signed-in contact person (scoped)
# and by the worker processing Stripe's events, which acts for no one (by Stripe's ids).

OPEN_INTENT = ("requires_payment_method", "requires_confirmation", "requires_action")


async def stripe_customer_id(payer: str) -> str | None:
    row = await StripeCustomer.select(StripeCustomer.customer_id).where(StripeCustomer.payer == payer).first()
    return str(row["customer_id"]) if row else None


async def insert_stripe_customer(payer: str, organisation_id: int | None, customer_id: str) -> None:
    await StripeCustomer.insert(
        StripeCustomer(payer=payer, organisation=organisation_id, customer_id=customer_id)
    ).on_conflict(target=StripeCustomer.payer, action="DO NOTHING")


async def open_intent(scope: TenantScope, invoice_id: int, amount_cents: int) -> dict[str, Any] | None:
    """The invoice's latest intent for this amount that can still be paid."""
    return await (
        scope.select(StripeIntent, *StripeIntent.all_columns())
        .where(StripeIntent.invoice == invoice_id)
        .where(StripeIntent.amount_cents == amount_cents)
        .where(StripeIntent.status.is_in(list(OPEN_INTENT)))
        .order_by(StripeIntent.id, ascending=False)
        .first()
    )


async def intents_of(scope: TenantScope, invoice_id: int) -> list[dict[str, Any]]:
    return await (
        scope.select(StripeIntent, *StripeIntent.all_columns())
        .where(StripeIntent.invoice == invoice_id)
        .order_by(StripeIntent.id, ascending=False)
    )


async def insert_intent(scope: TenantScope, **values: Any) -> None:
    # Any unique value taken (the intent's id, a collection's key): the row stored first stays.
    await StripeIntent.insert(StripeIntent(organisation=scope.organisation_id, **values)).on_conflict(
        action="DO NOTHING"
    )


async def intent_by_stripe_id(intent_id: str) -> dict[str, Any] | None:
    return (
        await StripeIntent.select(*StripeIntent.all_columns())
        .where(StripeIntent.intent_id == intent_id)
        .first()
    )


async def set_intent_status(intent_id: str, status: str, error: str, now: dt.datetime) -> bool:
    """Follow Stripe's status, except away from "succeeded": False when the intent had succeeded."""
    rows = await (
        StripeIntent.update(
            {StripeIntent.status: status, StripeIntent.last_error: error, StripeIntent.updated_at: now}
        )
        .where(StripeIntent.intent_id == intent_id)
        .where(StripeIntent.status != "succeeded")
        .returning(StripeIntent.id)
    )
    return bool(rows)


async def insert_stripe_event(event_id: str, type_: str, payload: dict[str, Any]) -> bool:
    """Store an event once: False when it was stored before (Stripe sent it again)."""
    rows = await (
        StripeEvent.insert(StripeEvent(event_id=event_id, type=type_, payload=payload))
        .on_conflict(target=StripeEvent.event_id, action="DO NOTHING")
        .returning(StripeEvent.id)
    )
    return bool(rows)


async def stripe_event(event_id: str) -> dict[str, Any] | None:
    return (
        await StripeEvent.select(*StripeEvent.all_columns()).where(StripeEvent.event_id == event_id).first()
    )


async def mark_event_processed(event_id: str, outcome: str, now: dt.datetime) -> bool:
    """Mark an event processed, once (the UPDATE locks its row: of two workers, one goes on)."""
    rows = await (
        StripeEvent.update({StripeEvent.processed_at: now, StripeEvent.outcome: outcome})
        .where(StripeEvent.event_id == event_id)
        .where(StripeEvent.processed_at.is_null())
        .returning(StripeEvent.id)
    )
    return bool(rows)


async def mark_event_outcome(event_id: str, outcome: str) -> None:
    await StripeEvent.update({StripeEvent.outcome: outcome}).where(StripeEvent.event_id == event_id)


async def mandate_of(scope: TenantScope) -> dict[str, Any] | None:
    """The organisation's SEPA Direct Debit mandate (its customer's saved payment method)."""
    return await (
        scope.select(StripeCustomer, *StripeCustomer.all_columns())
        .where(StripeCustomer.sepa_payment_method != "")
        .first()
    )


async def set_mandate(
    customer_id: str, payment_method: str, label: str, given_by: int | None, now: dt.datetime
) -> dict[str, Any] | None:
    """Store a mandate on the customer Stripe names; the customer's row (None: not ours)."""
    rows = await (
        StripeCustomer.update(
            {
                StripeCustomer.sepa_payment_method: payment_method,
                StripeCustomer.mandate_label: label,
                StripeCustomer.mandate_given_at: now,
                StripeCustomer.mandate_given_by: given_by,
            }
        )
        .where(StripeCustomer.customer_id == customer_id)
        .returning(*StripeCustomer.all_columns())
    )
    return rows[0] if rows else None


async def clear_mandate(scope: TenantScope) -> None:
    await StripeCustomer.update(
        {
            StripeCustomer.sepa_payment_method: "",
            StripeCustomer.mandate_label: "",
            StripeCustomer.mandate_given_at: None,
            StripeCustomer.mandate_given_by: None,
        }
    ).where(StripeCustomer.organisation == scope.organisation_id)


async def direct_debits_due(today: dt.date, limit: int = 500) -> list[dict[str, Any]]:
    """Final invoices due by today of organisations with a mandate that have no direct debit for
    them yet (for any amount), oldest first: what the collection job looks at."""
    mandated = StripeCustomer.select(StripeCustomer.organisation).where(
        StripeCustomer.sepa_payment_method != ""
    )
    collected = StripeIntent.select(StripeIntent.invoice).where(StripeIntent.purpose == "direct_debit")
    return await (
        Invoice.select(*Invoice.all_columns())
        .where(Invoice.kind == "invoice")
        .where(Invoice.status == "final")
        .where(Invoice.payer_kind == "organisation")
        .where(Invoice.due_on <= today)
        .where(Invoice.organisation.is_in(mandated))
        .where(Invoice.id.not_in(collected))
        .order_by(Invoice.id)
        .limit(limit)
    )


async def intent_by_collection_key(key: str) -> dict[str, Any] | None:
    return (
        await StripeIntent.select(*StripeIntent.all_columns())
        .where(StripeIntent.collection_key == key)
        .first()
    )


async def payment_recorded(external_id: str) -> bool:
    """Whether a payment with this id of its source (a Stripe intent, a bank line) is recorded."""
    return bool(await Payment.exists().where(Payment.external_id == external_id))


async def stripe_paid_cents(scope: TenantScope, invoice_id: int) -> int:
    """What came in through Stripe for an invoice, less what was refunded."""
    rows = await (
        scope.select(Payment, Payment.amount_cents)
        .where(Payment.invoice == invoice_id)
        .where(Payment.method.is_in(["stripe", "refund"]))
    )
    return sum(int(r["amount_cents"]) for r in rows)


async def succeeded_intent(scope: TenantScope, invoice_id: int) -> dict[str, Any] | None:
    """The invoice's latest payment through Stripe that succeeded."""
    return await (
        scope.select(StripeIntent, *StripeIntent.all_columns())
        .where(StripeIntent.invoice == invoice_id)
        .where(StripeIntent.status == "succeeded")
        .order_by(StripeIntent.id, ascending=False)
        .first()
    )


async def insert_refund(scope: TenantScope, **values: Any) -> bool:
    """Record a refund (a negative payment) once: False when its refund was recorded before."""
    rows = await (
        Payment.insert(Payment(organisation=scope.organisation_id, **values))
        .on_conflict(target=Payment.external_id, action="DO NOTHING")
        .returning(Payment.id)
    )
    return bool(rows)
