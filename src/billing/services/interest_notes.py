"""Interest notes: late-payment interest and collection costs invoiced on a document of their own
(rule BIL-7; 004 §1.7). The overdue invoice never changes.

An interest note is an `Invoice` of kind "interest_note" for one overdue invoice (`interest_of`),
numbered from its own series (`R2027-000001`, services/numbering.py), final at once, with its own
date, due date (the payment term), RF payment reference (services/reference.py) and documents
(PDF in the invoice's language and UBL, rendered and mailed by the workers as an invoice's are,
services/documents.py). It is paid like an invoice and is on the statement as one.

**Lines.** "Interest at 2.5 % a month from <day> to <day> on <amount>": the interest of
services/balances.py on what was open day by day, from the due date (or from the end day of the
note before, so interest is never invoiced twice) to the note's day, rounded half up once per
note. Once the claim is in collection, "Collection costs (15 %, at least EUR 750)" on what is open,
on the first note made from then on only. Interest and collection costs compensate for late
payment; they are not a supply, so they are outside the scope of VAT: EN 16931 category "O"
("not subject to VAT", exemption reason VATEX-EU-O).

**When.** The reminder job's collection step makes one in its transaction (services/reminders.py;
key "<invoice>:collection", so once however often the job runs), and a vendor admin can make one
by hand for an overdue invoice (key "<invoice>:<day>": one a day), audited. Nothing is made when
nothing is open, the invoice is not overdue, or there is nothing to charge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.repository import interest_notes as notes_repository
from src.billing.services import (
    balances,
    credits,
    dunning_schedule,
    interest,
    invoicing,
    numbering,
    reference,
)
from src.core import audit, clock, db, outbox
from src.core.errors import Conflict
from src.core.i18n import _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings

KIND = "interest_note"
NOT_SUBJECT = "O"  # EN 16931 / UNCL 5305: not subject to VAT
AUDIT_ACTION = "billing.interest_note_made"


def interest_between(
    invoice: dict[str, Any],
    payments: Iterable[dict[str, Any]],
    credit_notes: Iterable[dict[str, Any]],
    since: dt.date | None,
    until: dt.date,
) -> int:
    """Interest (balances.interest_cents) for the days after `since` (the due date when None or
    earlier) up to and including `until`, on what was open each day; rounded half up once."""
    due_on = invoice.get("due_on")
    if due_on is None:
        return 0
    start = max(since or due_on, due_on)
    if until <= start:
        return 0
    reductions = [(p["paid_on"], int(p["amount_cents"])) for p in payments if p["paid_on"] <= until]
    reductions += [(c["issued_on"], int(c["total_cents"])) for c in credit_notes if c["issued_on"] <= until]
    owed = int(invoice["total_cents"]) - sum(amount for day, amount in reductions if day <= due_on)

    def months(day: dt.date) -> Decimal:
        return interest.months_elapsed(due_on, day)

    amount = Decimal(0)
    previous = due_on
    for day, paid in sorted((d, a) for d, a in reductions if d > due_on):
        first, last = max(previous, start), min(day, until)
        if owed > 0 and last > first:
            amount += Decimal(owed) * (months(last) - months(first))
        owed -= paid
        previous = day
    first = max(previous, start)
    if owed > 0 and until > first:
        amount += Decimal(owed) * (months(until) - months(first))
    return int((amount * interest.MONTHLY_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def open_on(
    invoice: dict[str, Any],
    payments: Iterable[dict[str, Any]],
    credit_notes: Iterable[dict[str, Any]],
    day: dt.date,
) -> int:
    return balances.balance(invoice, list(payments), list(credit_notes), day).open_cents


def note_lines(
    invoice: dict[str, Any],
    payments: list[dict[str, Any]],
    credit_notes: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    day: dt.date,
    in_collection: bool,
) -> list[dict[str, Any]]:
    """The lines of a note made on `day` (descriptions in the current language); [] when there
    is nothing to charge."""
    since = max([n["interest_to"] for n in notes if n.get("interest_to")] or [invoice["due_on"]])
    money = invoice["currency"]
    lines: list[dict[str, Any]] = []
    cents = interest_between(invoice, payments, credit_notes, since, day)
    if cents > 0:
        base_from = open_on(invoice, payments, credit_notes, since)
        steady = base_from == open_on(invoice, payments, credit_notes, day)
        facts = {
            "start": format_date(since),
            "end": format_date(day),
            "amount": format_money(base_from, money),
        }
        lines.append(
            _line(
                _("Interest at 2.5 %% a month from %(start)s to %(end)s on %(amount)s", **facts)
                if steady
                else _(
                    "Interest at 2.5 %% a month from %(start)s to %(end)s on the amount open day by day",
                    **facts,
                ),
                "interest",
                cents,
                since + dt.timedelta(days=1),
                day,
            )
        )
    open_cents = open_on(invoice, payments, credit_notes, day)
    if in_collection and open_cents > 0 and not any(n.get("with_costs") for n in notes):
        lines.append(
            _line(
                _(
                    "Collection costs (15 %%, at least EUR 750) on %(amount)s",
                    amount=format_money(open_cents, money),
                ),
                "collection_costs",
                dunning_schedule.collection_costs_cents(open_cents),
                None,
                None,
            )
        )
    return lines


def _line(
    description: str, source: str, cents: int, first: dt.date | None, last: dt.date | None
) -> dict[str, Any]:
    return {
        "description": description,
        "source_type": source,
        "quantity": "1",
        "unit_code": "C62",
        "unit_price": str((Decimal(cents) / 100).quantize(Decimal("0.01"))),
        "net_cents": cents,
        "vat_category": NOT_SUBJECT,
        "vat_basis_points": 0,
        "first_day": first,
        "last_day": last,
    }


async def make_in_transaction(
    actor: Actor, scope: TenantScope, invoice: dict[str, Any], day: dt.date, *, collection: bool
) -> dict[str, Any] | None:
    """Make the invoice's interest note up to `day` inside the caller's transaction, the invoice
    row locked by the caller. `collection`: made by the collection step (once per invoice; it
    charges the collection costs); else by hand (once a day, costs when the claim is in
    collection). None when there is nothing to charge."""
    invoice_id = int(invoice["id"])
    payments = await ledger.payments_of(scope, [invoice_id])
    credit_notes = await repository.credit_notes_of(scope, [invoice_id])
    notes = await notes_repository.notes_of(scope, [invoice_id])
    in_collection = collection or balances.dunning_state(invoice, day) == balances.COLLECTION
    token = current_locale.set(invoice["language"] or "en")
    try:
        lines = note_lines(invoice, payments, credit_notes, notes, day, in_collection)
    finally:
        current_locale.reset(token)
    if not lines:
        return None
    number = await numbering.take(KIND, day.year)
    interest_line = next((x for x in lines if x["source_type"] == "interest"), None)
    since = interest_line["first_day"] - dt.timedelta(days=1) if interest_line else day
    note_id = await repository.insert_invoice(
        scope,
        kind=KIND,
        status="final",
        number=number,
        period=day.strftime("%Y-%m"),
        payer_kind=invoice["payer_kind"],
        payer_name=invoice["payer_name"],
        customer_name=invoice["customer_name"],
        customer_address=invoice["customer_address"],
        customer_country=invoice["customer_country"],
        customer_vat_number=invoice["customer_vat_number"],
        customer_registration=invoice["customer_registration"],
        customer_peppol_id=invoice["customer_peppol_id"],
        buyer_reference=invoice["buyer_reference"],
        language=invoice["language"],
        currency=invoice["currency"],
        issued_on=day,
        due_on=day + dt.timedelta(days=get_settings().payment_term_days),
        finalised_at=clock.now(),
        payment_reference=reference.creditor_reference(number),
        interest_of=invoice_id,
        interest_from=since,
        interest_to=day,
        note_key=f"{invoice_id}:{'collection' if collection else day.isoformat()}",
        **invoicing.totals(lines),
    )
    await repository.insert_lines(scope, note_id, lines)
    # Rendered and mailed by the workers once this has committed, as an invoice is.
    await outbox.enqueue(
        invoicing.RENDER_ACTOR,
        {"organisation_id": scope.organisation_id, "invoice_id": note_id},
        invoicing.render_key(note_id),
    )
    note = await repository.invoice(scope, note_id)
    await audit.record(
        actor,
        AUDIT_ACTION,
        organisation_id=scope.organisation_id,
        object_type="invoice",
        object_id=invoice_id,
        after={
            "invoice": invoice["number"],
            "interest_note": number,
            "interest_from": since.isoformat(),
            "interest_to": day.isoformat(),
            "total_cents": int(note["total_cents"]),
            "by": "collection" if collection else "hand",
        },
    )
    return note


async def make_by_hand(actor: Actor, invoice_id: int) -> dict[str, Any]:
    """A vendor admin makes the interest note of an overdue invoice up to today; a Conflict
    saying why when there is none to make."""
    organisation_id = await credits.organisation_of(actor, invoice_id)
    scope = TenantScope(actor, organisation_id)
    try:
        async with db.transaction():
            invoice = await ledger.lock_invoice(scope, invoice_id)
            if invoice["kind"] != "invoice" or invoice["status"] != "final":
                raise Conflict(_("Interest notes are made for final invoices only."))
            day = clock.today(invoice["customer_country"] or None)
            payments = await ledger.payments_of(scope, [invoice_id])
            credit_notes = await repository.credit_notes_of(scope, [invoice_id])
            if (
                invoice["due_on"] is None
                or day <= invoice["due_on"]
                or open_on(invoice, payments, credit_notes, day) <= 0
            ):
                raise Conflict(
                    _(
                        "Nothing of invoice %(number)s is overdue: there is no interest to charge.",
                        number=invoice["number"],
                    )
                )
            for earlier in await notes_repository.notes_of(scope, [invoice_id]):
                if earlier["interest_to"] == day:
                    raise Conflict(
                        _(
                            "Interest note %(note)s already charges the interest up to %(day)s.",
                            note=earlier["number"],
                            day=format_date(day),
                        )
                    )
            note = await make_in_transaction(actor, scope, invoice, day, collection=False)
            if note is None:
                raise Conflict(
                    _("There is no interest to charge on invoice %(number)s yet.", number=invoice["number"])
                )
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(_("An interest note for this invoice was made at the same moment.")) from exc
        raise
    return note


async def of_invoice(actor: Actor, organisation_id: int, invoice_id: int) -> list[dict[str, Any]]:
    """The interest notes made for an invoice, oldest first (contact persons, vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return await notes_repository.notes_of(scope, [invoice_id])
