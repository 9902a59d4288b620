"""The vendor admins' list of every invoice and credit note: filtered, counted and paged in the
database (services/invoice_list.py). Reads start from `readable(actor, ...)`: a vendor admin
reads every organisation's invoices, anyone else only those of the organisation acted for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw

from src.billing.tables import Invoice
from src.core import db
from src.core.tenancy import Actor, organisation_column, readable
from src.tenants.tables import Organisation

LIST_COLUMNS = (
    Invoice.id,
    Invoice.organisation,
    Invoice.organisation.name.as_alias("organisation_name"),
    Invoice.kind,
    Invoice.status,
    Invoice.number,
    Invoice.period,
    Invoice.payer_kind,
    Invoice.payer_name,
    Invoice.customer_name,
    Invoice.currency,
    Invoice.net_cents,
    Invoice.total_cents,
    Invoice.issued_on,
    Invoice.due_on,
    Invoice.credits,
    Invoice.created_at,
)


@dataclass(frozen=True)
class InvoiceFilter:
    """What the list is narrowed to; empty values narrow nothing. `status` "credited": final
    invoices with at least one final credit note."""

    search: str = ""
    status: str = ""
    kind: str = ""
    period: str = ""
    payer_kind: str = ""


def _credited(actor: Actor) -> Any:
    """The ids of the invoices a final credit note credits (a subquery)."""
    return (
        readable(actor, Invoice, Invoice.credits)
        .where(Invoice.kind == "credit_note")
        .where(Invoice.status == "final")
        .where(Invoice.credits.is_not_null())
    )


def _narrowed(query: Any, actor: Actor, wanted: InvoiceFilter) -> Any:
    if wanted.search:
        pattern = db.contains_pattern(wanted.search)
        organisations = Organisation.select(Organisation.id).where(
            WhereRaw(db.contains_ignoring_case('"organisation"."name"'), pattern)
        )
        query = query.where(
            WhereRaw(db.contains_ignoring_case('"invoice"."number"'), pattern)
            | WhereRaw(db.contains_ignoring_case('"invoice"."customer_name"'), pattern)
            | WhereRaw(db.contains_ignoring_case('"invoice"."payer_name"'), pattern)
            | Invoice.organisation.is_in(organisations)
        )
    if wanted.status == "credited":
        query = query.where(Invoice.status == "final").where(Invoice.id.is_in(_credited(actor)))
    elif wanted.status:
        query = query.where(Invoice.status == wanted.status)
    if wanted.kind:
        query = query.where(Invoice.kind == wanted.kind)
    if wanted.period:
        query = query.where(Invoice.period == wanted.period)
    if wanted.payer_kind:
        query = query.where(Invoice.payer_kind == wanted.payer_kind)
    return query


async def page_of_invoices(
    actor: Actor, wanted: InvoiceFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    """A page of the invoices and credit notes, the newest first, with the organisation's name."""
    query = _narrowed(readable(actor, Invoice, *LIST_COLUMNS), actor, wanted)
    return await query.order_by(Invoice.id, ascending=False).limit(limit).offset(offset)


async def count_invoices(actor: Actor, wanted: InvoiceFilter) -> int:
    query: Any = Invoice.count()
    if not actor.is_vendor_admin:
        query = query.where(organisation_column(Invoice) == (actor.organisation_id or 0))
    return int(await _narrowed(query, actor, wanted))


async def credited_among(actor: Actor, invoice_ids: list[int]) -> set[int]:
    """Of these invoices, those with a final credit note."""
    if not invoice_ids:
        return set()
    rows = await _credited(actor).where(Invoice.credits.is_in(invoice_ids))
    return {int(r["credits"]) for r in rows}


async def heading(actor: Actor, invoice_id: int) -> dict[str, Any] | None:
    """The organisation of an invoice and its name, when the actor may read the invoice."""
    return await (
        readable(
            actor, Invoice, Invoice.organisation, Invoice.organisation.name.as_alias("organisation_name")
        )
        .where(Invoice.id == invoice_id)
        .first()
    )
