"""Credit notes: a vendor admin takes back a final invoice, whole or some of its lines.

A credit note is an `Invoice` of kind "credit_note" whose `credits` is the invoice and whose
`reason` says why. It copies the credited lines with their quantities and prices; its amounts are
positive numbers, as an e-invoice CreditNote writes them (the kind says they are money back), and
its VAT is computed per category on its own lines, as for an invoice. It is finalised at once,
numbered from its own series ("credit_note" and the year, `C2027-000001`).

A line is credited once: the credit note's copy carries the key "credit:<line id>", unique among
all lines, so crediting it again (or two admins at the same moment) answers 409 naming the credit
note that has it. A draft cannot be credited (it has no number yet and can still change).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.services import invoicing, stripe_refunds
from src.core import audit, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin

MAX_REASON = 2000


def clean_reason(value: Any, field: str = "reason") -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InputError({field: _("Give the reason.")})
    if len(text) > MAX_REASON:
        raise InputError({field: _("Use at most %(num)s characters.", num=MAX_REASON)})
    return text


def clean_line_ids(value: Any) -> list[int]:
    """The chosen line ids, in order and once each; none: the whole invoice."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InputError({"lines": _("Choose the lines to credit.")})
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
            raise InputError({"lines": _("Choose the lines to credit.")})
        if item not in ids:
            ids.append(item)
    return ids


async def organisation_of(actor: Actor, invoice_id: int) -> int:
    require_vendor_admin(actor)
    organisation_id = await repository.organisation_of_invoice(actor, invoice_id)
    if organisation_id is None:
        raise NotFound()
    return organisation_id


async def creditable(actor: Actor, invoice_id: int) -> dict[str, Any]:
    """The invoice with its lines, each saying which credit note has it (`credited_by`), for
    the vendor admin's choice."""
    organisation_id = await organisation_of(actor, invoice_id)
    scope = TenantScope(actor, organisation_id)
    invoice = await invoicing.get_invoice(actor, organisation_id, invoice_id)
    credited = await repository.credited_lines(scope, [int(x["id"]) for x in invoice["lines"]])
    for line in invoice["lines"]:
        line["credited_by"] = credited.get(int(line["id"]))
    return invoice


async def credit(
    actor: Actor, invoice_id: int, reason: Any, line_ids: Iterable[int] | None = None
) -> dict[str, Any]:
    """Make and finalise the credit note of these lines of a final invoice (none: every line not
    credited yet); the credit note with its lines."""
    organisation_id = await organisation_of(actor, invoice_id)
    text = clean_reason(reason)
    chosen = clean_line_ids(list(line_ids) if line_ids is not None else None)
    try:
        async with db.transaction():
            credit_note_id = await _credit(actor, organisation_id, invoice_id, text, chosen)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(_("These lines were credited at the same moment by someone else.")) from exc
        raise
    return await invoicing.get_invoice(actor, organisation_id, credit_note_id)


async def credit_in_transaction(
    actor: Actor, organisation_id: int, invoice_id: int, reason: str, line_ids: list[int]
) -> int:
    """The same inside the caller's transaction (a dispute resolved with a credit note)."""
    return await _credit(actor, organisation_id, invoice_id, reason, line_ids)


async def _credit(actor: Actor, organisation_id: int, invoice_id: int, reason: str, chosen: list[int]) -> int:
    scope = TenantScope(actor, organisation_id)
    # Locked: a payment of this invoice at the same moment waits (services/payments.py).
    invoice = await ledger.lock_invoice(scope, invoice_id)
    if invoice["kind"] != "invoice":
        raise Conflict(_("A credit note cannot be credited."))
    if invoice["status"] != "final":
        raise Conflict(_("A draft invoice cannot be credited: it has no number yet and can still change."))
    lines = await repository.lines_of(scope, [invoice_id])
    by_id = {int(x["id"]): x for x in lines}
    credited = await repository.credited_lines(scope, list(by_id))
    if chosen:
        foreign = [i for i in chosen if i not in by_id]
        if foreign:
            raise InputError(
                {
                    "lines": _(
                        "Line %(line)s is not a line of invoice %(number)s.",
                        line=foreign[0],
                        number=invoice["number"],
                    )
                }
            )
        again = [i for i in chosen if i in credited]
        if again:
            raise Conflict(
                _(
                    "The line “%(line)s” was credited already by credit note %(number)s.",
                    line=by_id[again[0]]["description"],
                    number=credited[again[0]],
                )
            )
        picked = [by_id[i] for i in chosen]
    else:
        picked = [x for x in lines if int(x["id"]) not in credited]
        if not picked:
            raise Conflict(
                _("Every line of invoice %(number)s was credited already.", number=invoice["number"])
            )
    copied = [
        {
            "description": x["description"],
            "source_type": "credit",
            "source_id": int(x["id"]),
            "charge_key": f"credit:{x['id']}",
            "quantity": x["quantity"],
            "unit_code": x["unit_code"],
            "unit_price": x["unit_price"],
            "net_cents": x["net_cents"],
            "vat_category": x["vat_category"],
            "vat_basis_points": x["vat_basis_points"],
            "first_day": x["first_day"],
            "last_day": x["last_day"],
        }
        for x in picked
    ]
    credit_note_id = await repository.insert_invoice(
        scope,
        kind="credit_note",
        status="draft",
        period=invoice["period"],
        payer_kind=invoice["payer_kind"],
        payer_name=invoice["payer_name"],
        customer_name=invoice["customer_name"],
        customer_address=invoice["customer_address"],
        customer_country=invoice["customer_country"],
        customer_vat_number=invoice["customer_vat_number"],
        language=invoice["language"],
        currency=invoice["currency"],
        credits=invoice_id,
        reason=reason,
        **invoicing.totals(copied),
    )
    await repository.insert_lines(scope, credit_note_id, copied)
    final = await invoicing.finalise(actor, organisation_id, credit_note_id)
    await stripe_refunds.after_credit(scope, invoice_id, credit_note_id)
    await audit.record(
        actor,
        "invoice.credited",
        organisation_id=organisation_id,
        object_type="invoice",
        object_id=invoice_id,
        after={
            "credit_note": final["number"],
            "invoice": invoice["number"],
            "reason": reason,
            "lines": [int(x["id"]) for x in picked],
            "total_cents": final["total_cents"],
        },
    )
    return credit_note_id
