"""What is left to pay on a final invoice, and its status as the customer sees it (rules BIL-6,
BIL-7, BIL-8). Pure functions over the invoice, its payments and its credit notes.

**Open amount.** The invoice's total minus its payments and minus its credit notes, never below
zero. What was paid beyond that (an overpayment, or a payment followed by a credit note) is the
invoice's *credit balance*: money of the customer's, shown on the statement and set against what
it owes. As of a date, only the payments made (`paid_on`) and credit notes issued by that day count.

**Status** (`open` | `paid` | `overdue` | `in_collection` | `credited`), of a final invoice; a draft
stays "draft" and a credit note "final":
- `credited`: credit notes take back the whole invoice;
- `paid`: nothing is left open;
- `in_collection`: something is open and the claim is in collection (the reminder schedule's last
  step has been reached, by the stored `dunning_state` or by the days since the due date);
- `overdue`: something is open the day after the due date: the customer is in default without
  notice (BIL-7); a complaint changes none of this (BIL-8);
- `open`: otherwise.

**Interest** (services/interest.py: 2.5 % a month, pro rata per day from the due date) runs on
what is open on each day: a part paid late stops the interest on that part from the day it is
paid. Summed over the stretches between payments (each stretch measured with the same month
count as interest.py, so without payments after the due date it is exactly
`interest.interest_cents(open, due_on, as_of)`) and rounded half up to a cent once.

**Due at once** (BIL-10): an invoice whose organisation was suspended for non-payment is due on
its `accelerated_due_on` when that is earlier than `due_on` (services/suspension.py says why the
invoice's own due date is left as it is). Status and interest follow that date (`due_date`); the
reminder schedule keeps counting from the invoice's own due date.

**Interest notes** (services/interest_notes.py) are paid like invoices: open until paid, overdue
after their due date, but no interest, reminders or collection costs of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from src.billing.services import dunning_schedule, interest, reference

STATUSES = ("open", "paid", "overdue", "in_collection", "credited")
DUNNING_STATES = ("none", *(step.state for step in dunning_schedule.DEFAULT_SCHEDULE))
COLLECTION = "collection"


@dataclass(frozen=True)
class Balance:
    open_cents: int
    paid_cents: int
    credited_cents: int
    credit_balance_cents: int  # paid beyond what the invoice asks
    status: str
    dunning_state: str


def due_date(invoice: dict[str, Any]) -> dt.date | None:
    """When the invoice is due: its own due date, or the day all claims became due at once
    (BIL-10) when that is earlier."""
    due_on = invoice.get("due_on")
    accelerated = invoice.get("accelerated_due_on")
    if due_on is None or accelerated is None:
        return due_on
    return min(due_on, accelerated)


def _counted(rows: Iterable[dict[str, Any]], day_key: str, as_of: dt.date | None) -> list[dict[str, Any]]:
    return [r for r in rows if as_of is None or (r.get(day_key) is not None and r[day_key] <= as_of)]


def dunning_state(invoice: dict[str, Any], as_of: dt.date) -> str:
    """How far the invoice is in the reminder schedule by `as_of`: the stored state, or the last
    step whose day has come when that is further (a reminder job that has not run yet changes
    nothing of what is owed)."""
    stored = invoice.get("dunning_state") or "none"
    due_on = invoice.get("due_on")
    scheduled = "none"
    if due_on is not None:
        steps = dunning_schedule.steps_due(due_on, as_of, None)
        if steps:
            scheduled = steps[-1].state
    order = {state: i for i, state in enumerate(DUNNING_STATES)}
    return max(stored, scheduled, key=lambda s: order.get(s, 0))


def balance(
    invoice: dict[str, Any],
    payments: Iterable[dict[str, Any]],
    credit_notes: Iterable[dict[str, Any]],
    as_of: dt.date,
) -> Balance:
    """The invoice's balance and status on `as_of` (its own payments and credit notes given).
    A draft or a credit note asks nothing: its status is its own, nothing is open."""
    if invoice.get("status") != "final" or invoice.get("kind") not in reference.PAYABLE_KINDS:
        return Balance(0, 0, 0, 0, str(invoice.get("status") or "draft"), "none")
    total = int(invoice["total_cents"])
    paid = sum(int(p["amount_cents"]) for p in _counted(payments, "paid_on", as_of))
    credited = sum(int(c["total_cents"]) for c in _counted(credit_notes, "issued_on", as_of))
    open_cents = max(0, total - paid - credited)
    credit_balance = max(0, paid + credited - total)
    state = dunning_state(invoice, as_of) if open_cents and invoice.get("kind") == "invoice" else "none"
    if credited >= total and total > 0:
        status = "credited"
    elif open_cents == 0:
        status = "paid"
    elif state == COLLECTION:
        status = "in_collection"
    elif (due := due_date(invoice)) is not None and as_of > due:
        status = "overdue"
    else:
        status = "open"
    return Balance(open_cents, paid, credited, credit_balance, status, state)


def interest_cents(
    invoice: dict[str, Any],
    payments: Iterable[dict[str, Any]],
    credit_notes: Iterable[dict[str, Any]],
    as_of: dt.date,
) -> int:
    """Late-payment interest from the due date to `as_of` on what was open day by day."""
    due_on = due_date(invoice)
    if due_on is None or as_of <= due_on or invoice.get("kind", "invoice") != "invoice":
        return 0
    reductions = [(p["paid_on"], int(p["amount_cents"])) for p in _counted(payments, "paid_on", as_of)]
    reductions += [
        (c["issued_on"], int(c["total_cents"])) for c in _counted(credit_notes, "issued_on", as_of)
    ]
    owed = int(invoice["total_cents"]) - sum(amount for day, amount in reductions if day <= due_on)
    amount = Decimal(0)
    start = due_on
    for day, paid in sorted((d, a) for d, a in reductions if d > due_on):
        if owed > 0:
            stretch = interest.months_elapsed(due_on, day) - interest.months_elapsed(due_on, start)
            amount += Decimal(owed) * stretch
        owed -= paid
        start = day
    if owed > 0:
        amount += Decimal(owed) * (
            interest.months_elapsed(due_on, as_of) - interest.months_elapsed(due_on, start)
        )
    return int((amount * interest.MONTHLY_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def collection_costs_cents(invoice: dict[str, Any], open_cents: int, as_of: dt.date) -> int:
    """The collection costs of BIL-7 (15 %, at least EUR 750) once the claim is in collection by
    `as_of`; nothing before, and nothing when nothing is open."""
    if open_cents <= 0 or invoice.get("kind", "invoice") != "invoice":
        return 0
    if dunning_state(invoice, as_of) != COLLECTION:
        return 0
    return dunning_schedule.collection_costs_cents(open_cents)


def by_invoice(rows: Iterable[dict[str, Any]], key: str) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get(key) is not None:
            grouped.setdefault(int(row[key]), []).append(row)
    return grouped
