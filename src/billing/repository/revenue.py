"""Revenue per service, summed in the database (services/revenue.py).

Each line of a final invoice or credit note of the months asked is traced to what it bills: a
subscription line to the subscription's service, a charge line to what the charge is for (a
certificate fee, a one-time fee), and a credit note's line through the line it credits. The
subscriptions domain gives the queries of its rows (src/subscriptions/services/invoiced_services.py);
they are joined here as subqueries, so every table is read through `readable(actor, ...)`."""

from __future__ import annotations

from typing import Any

from src.billing.tables import Invoice, InvoiceLine
from src.core.tenancy import Actor, readable

# A credit note's line (l) names the line it credits (o); any other line is its own origin.
_SQL = (
    "SELECT i.kind AS kind, COALESCE(o.source_type, l.source_type) AS source_type,"
    " s.service AS service, c.source_type AS charge_type, SUM(l.net_cents) AS net_cents"
    " FROM ({}) AS l"
    " JOIN ({}) AS i ON i.id = l.invoice"
    " LEFT JOIN ({}) AS o ON l.source_type = 'credit' AND o.id = l.source_id"
    " LEFT JOIN ({}) AS s ON COALESCE(o.source_type, l.source_type) = 'subscription'"
    " AND s.id = COALESCE(o.source_id, l.source_id)"
    " LEFT JOIN ({}) AS c ON COALESCE(o.source_type, l.source_type) = 'charge'"
    " AND c.id = COALESCE(o.source_id, l.source_id)"
    " GROUP BY i.kind, COALESCE(o.source_type, l.source_type), s.service, c.source_type"
)


async def sums_per_source(
    actor: Actor, periods: list[str], subscriptions: Any, charges: Any
) -> list[dict[str, Any]]:
    """Net cents per (`kind` of document, origin `source_type`, `service` of a subscription line,
    `charge_type` of a charge line) over the final documents of these months. `subscriptions`
    and `charges` are queries of (`id`, `service`) and (`id`, `source_type`)."""
    if not periods:
        return []
    lines = readable(
        actor,
        InvoiceLine,
        InvoiceLine.id,
        InvoiceLine.invoice,
        InvoiceLine.source_type,
        InvoiceLine.source_id,
        InvoiceLine.net_cents,
    )
    documents = (
        readable(actor, Invoice, Invoice.id, Invoice.kind)
        .where(Invoice.status == "final")
        .where(Invoice.period.is_in(periods))
    )
    return await InvoiceLine.raw(
        _SQL,
        lines.querystrings[0],
        documents.querystrings[0],
        lines.querystrings[0],
        subscriptions.querystrings[0],
        charges.querystrings[0],
    )
