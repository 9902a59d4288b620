"""Payments received for final invoices (rules BIL-6, BIL-8), and each invoice's balance.

`record` writes a payment in the transaction that locks its invoice's row (payments/repository.py
`lock_invoice`: SELECT ... FOR UPDATE on PostgreSQL; SQLite runs one write transaction at a time).
A credit note locks the same row (services/credits.py), so a payment and a credit note of one
invoice, or two payments, at the same moment take turns: each sees what the other left open, and
the balance, the answer and the audit row are right whatever the order. What is open is never
stored: it is computed from the invoice, its payments and its credit notes (services/balances.py).

A payment is recorded as it came: an amount beyond what is open is kept as the invoice's credit
balance (shown on the statement), never refused. A complaint does not hold up payment (BIL-8).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.services import advance, balances, invoicing, reference, suspension
from src.core import audit, clock, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin

METHODS = ("manual", "bank_transfer", "stripe")
MAX_AMOUNT_CENTS = 100_000_000_00  # EUR 100 million: more is a typing error
MAX_REFERENCE = 140  # the remittance information of a SEPA credit transfer


def clean_amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError({"amount_cents": _("Give the amount in cents, a whole number.")})
    if value <= 0:
        raise InputError({"amount_cents": _("The amount must be more than zero.")})
    if value > MAX_AMOUNT_CENTS:
        raise InputError({"amount_cents": _("This amount is too large.")})
    return value


def clean_paid_on(value: Any, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        raise InputError({"paid_on": _("Give the date of the payment as YYYY-MM-DD.")})
    if value > today:
        raise InputError({"paid_on": _("The date of a payment cannot be in the future.")})
    return value


def clean_reference(value: Any) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise InputError({"reference": _("Give the reference as text.")})
    if len(text) > MAX_REFERENCE:
        raise InputError({"reference": _("Use at most %(num)s characters.", num=MAX_REFERENCE)})
    return text


async def organisation_of(actor: Actor, invoice_id: int) -> int:
    organisation_id = await repository.organisation_of_invoice(actor, invoice_id)
    if organisation_id is None:
        raise NotFound()
    return organisation_id


def _today(invoice: dict[str, Any]) -> dt.date:
    return clock.today(invoice.get("customer_country") or None)


async def balance_of(scope: TenantScope, invoice: dict[str, Any], as_of: dt.date) -> balances.Balance:
    """The invoice's balance on `as_of`, from its payments and credit notes."""
    invoice_id = int(invoice["id"])
    paid = await ledger.payments_of(scope, [invoice_id])
    credited = await repository.credit_notes_of(scope, [invoice_id])
    return balances.balance(invoice, paid, credited, as_of)


async def record(
    actor: Actor,
    invoice_id: int,
    amount_cents: Any,
    paid_on: Any,
    reference_text: Any = "",
    method: str = "manual",
    external_id: str | None = None,
) -> dict[str, Any]:
    """Record a payment of a final invoice (vendor admins); the payment and the invoice's new
    `status`, `open_cents` and `credit_balance_cents`. Bad input changes nothing."""
    require_vendor_admin(actor)
    if method not in METHODS:
        raise InputError({"method": _("Choose how it was paid.")})
    amount = clean_amount(amount_cents)
    paid_text = clean_reference(reference_text)
    organisation_id = await organisation_of(actor, invoice_id)
    scope = TenantScope(actor, organisation_id)
    try:
        async with db.transaction():
            invoice = await ledger.lock_invoice(scope, invoice_id)
            today = _today(invoice)
            day = clean_paid_on(paid_on, today)
            if invoice["kind"] not in reference.PAYABLE_KINDS:
                raise InputError({"invoice_id": _("A credit note is not paid: it is money back.")})
            if invoice["status"] != "final":
                raise InputError(
                    {"invoice_id": _("A draft invoice cannot be paid: it has no number or due date yet.")}
                )
            before = await balance_of(scope, invoice, today)
            payment = await ledger.insert_payment(
                scope,
                invoice=invoice_id,
                payer_kind=invoice["payer_kind"],
                payer_name=invoice["payer_name"],
                amount_cents=amount,
                currency=invoice["currency"],
                paid_on=day,
                reference=paid_text,
                method=method,
                external_id=external_id,
                created_by=actor.person_id or None,
                created_by_name=actor.name,
                created_at=clock.now(),
            )
            after = await balance_of(scope, invoice, today)
            await audit.record(
                actor,
                "billing.payment_recorded",
                organisation_id=organisation_id,
                object_type="invoice",
                object_id=invoice_id,
                before={"status": before.status, "open_cents": before.open_cents},
                after={
                    "invoice": invoice["number"],
                    "amount_cents": amount,
                    "paid_on": day,
                    "reference": paid_text,
                    "method": method,
                    "status": after.status,
                    "open_cents": after.open_cents,
                    "credit_balance_cents": after.credit_balance_cents,
                },
            )
            if invoice["payer_kind"] != "third_party" and after.open_cents == 0:
                await advance.after_payment(actor, organisation_id, invoice_id, today)
                await suspension.after_payment(actor, organisation_id, today)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(_("This payment is recorded already.")) from exc
        raise
    return {
        "payment": {**payment, "invoice_number": invoice["number"]},
        "invoice": _annotated(invoice, after),
    }


def _annotated(invoice: dict[str, Any], found: balances.Balance) -> dict[str, Any]:
    return {
        **invoice,
        "status": found.status,
        "internal_status": invoice["status"],
        "open_cents": found.open_cents,
        "paid_cents": found.paid_cents,
        "credit_balance_cents": found.credit_balance_cents,
        "dunning_state": found.dunning_state,
        "payment_reference": reference.payment_reference(invoice),
        "payment_reference_display": reference.display(reference.payment_reference(invoice)),
    }


async def with_balance(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any]:
    """An invoice as `invoicing.get_invoice` gives it (`status` draft or final, as the pages
    use it), with its balance and the status the customer sees as `payment_status`."""
    [row] = await annotate(
        actor, organisation_id, [await invoicing.get_invoice(actor, organisation_id, invoice_id)]
    )
    return {**row, "status": row["internal_status"], "payment_status": row["status"]}


async def annotate(actor: Actor, organisation_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """These invoices of the organisation with their outward `status`, `open_cents`,
    `credit_balance_cents`, `dunning_state` and `payment_reference`, as of today (drafts and
    credit notes keep their own status)."""
    scope = TenantScope(actor, organisation_id)
    ids = [int(r["id"]) for r in rows if r["kind"] in reference.PAYABLE_KINDS and r["status"] == "final"]
    paid = balances.by_invoice(await ledger.payments_of(scope, ids), "invoice")
    credited = balances.by_invoice(await repository.credit_notes_of(scope, ids), "credits")
    result = []
    for row in rows:
        invoice_id = int(row["id"])
        found = balances.balance(row, paid.get(invoice_id, []), credited.get(invoice_id, []), _today(row))
        result.append(_annotated(row, found))
    return result


def parse_euros(value: Any) -> int:
    """An amount as people type it ("1250", "1250.50", "1250,5", "€ 1 250,50") in cents."""
    text = "".join(str(value or "").replace("€", "").split())
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InputError({"amount": _("Give the amount in euros, such as 1250.00.")}) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InputError({"amount": _("Give the amount in euros, such as 1250.00.")})
    return int(amount * 100)


async def record_by_hand(
    actor: Actor, invoice_text: Any, amount_text: Any, paid_on: Any, reference_text: Any
) -> dict[str, Any]:
    """A vendor admin's form: the invoice by its number or payment reference, the amount in
    euros. Errors name the form's fields (`invoice`, `amount`, `paid_on`, `reference`)."""
    require_vendor_admin(actor)
    wanted = "".join(str(invoice_text or "").split()).upper()
    found = await ledger.invoice_by_number_or_reference(actor, wanted) if wanted else None
    errors: dict[str, str] = {}
    if found is None:
        errors["invoice"] = _("No invoice has this number or payment reference.")
    try:
        cents = parse_euros(amount_text)
    except InputError as exc:
        errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    assert found is not None
    try:
        return await record(actor, int(found["id"]), cents, paid_on, reference_text)
    except InputError as exc:
        names = {"amount_cents": "amount", "invoice_id": "invoice"}
        raise InputError({names.get(k, k): v for k, v in exc.errors.items()}) from exc


async def recent(actor: Actor) -> list[dict[str, Any]]:
    """Every organisation's latest payments (vendor admins), newest first."""
    require_vendor_admin(actor)
    return await ledger.recent_payments(actor)
