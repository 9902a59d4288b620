"""An organisation's statement of account as of a day (rules BIL-6, BIL-7, BIL-10).

On `as_of` (today, or a day to come: what will be owed then if nothing more is paid): its own
final invoices with something open that day, each with late-payment interest from its due date to
that day and collection costs once the claim is in collection by then (services/balances.py), its
payments made by that day, and the total due. Payments and credit notes dated after `as_of` do
not count (a statement of a past day says what was owed then). Invoices a third party pays for
the organisation (BIL-4) are the third party's debt, never on the organisation's statement.

An amount paid beyond what an invoice asked is the organisation's credit balance: it is shown,
and set against the total due. Interest on an invoice already paid (late) is not on the statement:
it is charged on an interest note of its own (BIL-7).

Interest is never counted twice: an interest note issued by `as_of` is an item of its own, open
like an invoice until paid (services/interest_notes.py), and the running interest on the invoice it
is for counts only from the last such note's end day; collection costs charged on a note are not
counted again on the invoice.

Contact persons of the organisation and vendor admins; anyone else: as tenancy answers (another
organisation's statement is not found, an end user may not).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.repository import interest_notes as notes_repository
from src.billing.services import balances, interest_notes, reference
from src.core import clock
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope

MAX_YEARS_AHEAD = 10


def parse_as_of(value: str | None, today: dt.date) -> dt.date:
    """`YYYY-MM-DD`, today when not given; a clear error naming `as_of` otherwise."""
    if value is None or not value.strip():
        return today
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError({"as_of": _("Give the date as YYYY-MM-DD.")}) from None
    if day.year > today.year + MAX_YEARS_AHEAD:
        raise InputError({"as_of": _("Choose a date at most %(years)s years ahead.", years=MAX_YEARS_AHEAD)})
    return day


async def statement(actor: Actor, organisation_id: int, as_of: str | dt.date | None = None) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    country = actor.organisation_country if actor.organisation_id == organisation_id else ""
    today = clock.today(country or None)
    day = as_of if isinstance(as_of, dt.date) else parse_as_of(as_of, today)
    invoices = await ledger.final_invoices_of(scope, payer_kind="organisation")
    invoices = [i for i in invoices if i["issued_on"] is not None and i["issued_on"] <= day]
    notes = [
        n
        for n in await notes_repository.notes_of(scope, [int(i["id"]) for i in invoices])
        if n["issued_on"] is not None and n["issued_on"] <= day
    ]
    notes_of = balances.by_invoice(notes, "interest_of")
    invoices = sorted([*invoices, *notes], key=lambda i: (i["due_on"] or day, int(i["id"])))
    ids = [int(i["id"]) for i in invoices]
    all_payments = await ledger.payments_of(scope, ids)
    paid = balances.by_invoice(all_payments, "invoice")
    credited = balances.by_invoice(await repository.credit_notes_of(scope, ids), "credits")
    items: list[dict[str, Any]] = []
    credit_balance = 0
    for invoice in invoices:
        own_paid = paid.get(int(invoice["id"]), [])
        own_credited = credited.get(int(invoice["id"]), [])
        found = balances.balance(invoice, own_paid, own_credited, day)
        credit_balance += found.credit_balance_cents
        if found.open_cents <= 0:
            continue
        items.append(
            {
                **invoice,
                "due_on": balances.due_date(invoice),
                "open_cents": found.open_cents,
                "status": found.status,
                "dunning_state": found.dunning_state,
                **_interest_and_costs(
                    invoice, own_paid, own_credited, notes_of.get(int(invoice["id"]), []), day
                ),
                "payment_reference": reference.payment_reference(invoice),
            }
        )
    open_cents = sum(i["open_cents"] for i in items)
    interest = sum(i["interest_cents"] for i in items)
    costs = sum(i["collection_costs_cents"] for i in items)
    return {
        "organisation_id": organisation_id,
        "as_of": day,
        "today": today,
        "currency": invoices[0]["currency"] if invoices else "EUR",
        "items": items,
        "payments": [p for p in all_payments if p["paid_on"] <= day],
        "open_cents": open_cents,
        "interest_cents": interest,
        "collection_costs_cents": costs,
        "credit_balance_cents": credit_balance,
        "total_due_cents": max(0, open_cents + interest + costs - credit_balance),
    }


def _interest_and_costs(
    invoice: dict[str, Any],
    paid: list[dict[str, Any]],
    credited: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    day: dt.date,
) -> dict[str, int]:
    """An invoice's running interest from its last interest note's end day (from the due date when
    it has none) and its collection costs unless a note charges them; nothing on a note itself."""
    if invoice["kind"] != "invoice":
        return {"interest_cents": 0, "collection_costs_cents": 0}
    since = max([n["interest_to"] for n in notes if n.get("interest_to")] or [invoice["due_on"]])
    open_cents = balances.balance(invoice, paid, credited, day).open_cents
    costs = (
        0
        if any(n["with_costs"] for n in notes)
        else balances.collection_costs_cents(invoice, open_cents, day)
    )
    return {
        "interest_cents": interest_notes.interest_between(invoice, paid, credited, since, day),
        "collection_costs_cents": costs,
    }
