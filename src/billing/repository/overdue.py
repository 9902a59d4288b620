"""Overdue ageing and days sales outstanding, summed in the database (services/overdue.py).

What is open of each final invoice on a day is its total minus the payments made by that day and
minus the final credit notes issued by that day, never below zero (services/balances.py says the
same in Python). Here it is one subquery per table, each read through `readable(actor, ...)`,
joined and grouped in SQL; ages are compared as due dates against days computed beforehand, so
the same SQL runs on SQLite and PostgreSQL without date arithmetic in the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Sum

from src.billing.tables import Invoice, Payment
from src.core.tenancy import Actor, readable

# The upper ends of the buckets, in days past the due date; the last bucket has none.
BUCKET_DAYS = (30, 60, 90)
BUCKETS = ("days_0_30_cents", "days_31_60_cents", "days_61_90_cents", "days_over_90_cents")

_OPEN = (
    "SELECT {columns}, i.total_cents - COALESCE(p.paid_cents, 0) - COALESCE(c.credited_cents, 0)"
    " AS open_cents"
    " FROM ({}) AS i"
    " LEFT JOIN (SELECT pp.invoice AS invoice, SUM(pp.amount_cents) AS paid_cents FROM ({}) AS pp"
    " GROUP BY pp.invoice) AS p ON p.invoice = i.id"
    " LEFT JOIN (SELECT cc.credits AS credits, SUM(cc.total_cents) AS credited_cents FROM ({}) AS cc"
    " GROUP BY cc.credits) AS c ON c.credits = i.id"
)

_AGEING = (
    "SELECT o.payer_kind AS payer_kind,"
    " SUM(CASE WHEN o.due_on >= {} THEN o.open_cents ELSE 0 END) AS not_due_cents,"
    " SUM(CASE WHEN o.due_on < {} AND o.due_on >= {} THEN o.open_cents ELSE 0 END) AS days_0_30_cents,"
    " SUM(CASE WHEN o.due_on < {} AND o.due_on >= {} THEN o.open_cents ELSE 0 END) AS days_31_60_cents,"
    " SUM(CASE WHEN o.due_on < {} AND o.due_on >= {} THEN o.open_cents ELSE 0 END) AS days_61_90_cents,"
    " SUM(CASE WHEN o.due_on < {} THEN o.open_cents ELSE 0 END) AS days_over_90_cents"
    " FROM ({}) AS o WHERE o.open_cents > 0 GROUP BY o.payer_kind"
)

_LARGEST = (
    "SELECT o.* FROM ({}) AS o WHERE o.open_cents > 0 AND o.due_on < {}"
    " ORDER BY o.open_cents DESC, o.due_on, o.id LIMIT {}"
)


def _open_invoices(actor: Actor, as_of: dt.date, columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The SQL of every final invoice issued by `as_of` with its `open_cents` that day (and the
    invoice columns named), and its arguments."""
    invoices = (
        readable(
            actor,
            Invoice,
            Invoice.id,
            Invoice.number,
            Invoice.organisation,
            Invoice.organisation.name.as_alias("organisation_name"),
            Invoice.payer_kind,
            Invoice.payer_name,
            Invoice.total_cents,
            Invoice.currency,
            Invoice.due_on,
            Invoice.dunning_state,
        )
        .where(Invoice.kind == "invoice")
        .where(Invoice.status == "final")
        .where(Invoice.issued_on <= as_of)
    )
    paid = readable(actor, Payment, Payment.invoice, Payment.amount_cents).where(Payment.paid_on <= as_of)
    credited = (
        readable(actor, Invoice, Invoice.credits, Invoice.total_cents)
        .where(Invoice.kind == "credit_note")
        .where(Invoice.status == "final")
        .where(Invoice.issued_on <= as_of)
    )
    sql = _OPEN.replace("{columns}", ", ".join(f"i.{c} AS {c}" for c in columns))
    return sql, [invoices.querystrings[0], paid.querystrings[0], credited.querystrings[0]]


def bucket_starts(as_of: dt.date) -> list[dt.date]:
    """The earliest due date of each bucket but the last: an invoice due on `as_of` minus 30
    days is 30 days late, in the first bucket; one due a day earlier is 31 days late."""
    return [as_of - dt.timedelta(days=days) for days in BUCKET_DAYS]


async def ageing(actor: Actor, as_of: dt.date) -> list[dict[str, Any]]:
    """Per payer kind: what is open on `as_of` and not yet due (`not_due_cents`), and what is
    past its due date in each bucket of `BUCKETS`. One query."""
    d30, d60, d90 = bucket_starts(as_of)
    sql, args = _open_invoices(actor, as_of, ("payer_kind", "due_on"))
    rows = await Invoice.raw(
        _AGEING, as_of, as_of, d30, d30, d60, d60, d90, d90, Invoice.raw(sql, *args).querystrings[0]
    )
    return [
        {"payer_kind": r["payer_kind"], **{k: int(r[k] or 0) for k in ("not_due_cents", *BUCKETS)}}
        for r in rows
    ]


async def largest_overdue(actor: Actor, as_of: dt.date, limit: int) -> list[dict[str, Any]]:
    """The `limit` invoices with the most open on `as_of` past their due date, largest first.
    One query."""
    columns = (
        "id",
        "number",
        "organisation",
        "organisation_name",
        "payer_kind",
        "payer_name",
        "currency",
        "due_on",
        "dunning_state",
    )
    sql, args = _open_invoices(actor, as_of, columns)
    rows = await Invoice.raw(_LARGEST, Invoice.raw(sql, *args).querystrings[0], as_of, limit)
    for row in rows:
        row["open_cents"] = int(row["open_cents"])
        if isinstance(row["due_on"], str):  # SQLite gives a subquery's dates back as text
            row["due_on"] = dt.date.fromisoformat(row["due_on"])
    return rows


async def invoiced_between(actor: Actor, first: dt.date, last: dt.date) -> int:
    """What final invoices issued from `first` to `last` charge, VAT included, minus what the
    final credit notes issued then give back (the sales of days sales outstanding). One query."""
    rows = await (
        readable(actor, Invoice, Invoice.kind, Sum(Invoice.total_cents, alias="total_cents"))
        .where(Invoice.status == "final")
        .where(Invoice.kind.is_in(["invoice", "credit_note"]))
        .where(Invoice.issued_on >= first)
        .where(Invoice.issued_on <= last)
        .group_by(Invoice.kind)
    )
    signed = {"invoice": 1, "credit_note": -1}
    return sum(signed[r["kind"]] * int(r["total_cents"] or 0) for r in rows)
