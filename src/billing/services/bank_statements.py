"""Bank statements (camt.053) imported by vendor admins: each payment received matched to its
invoice and recorded, the rest listed for matching by hand (rule BIL-6).

**Import, once.** A statement is stored under its identity (the account and the bank's id of the
statement, unique) and each of its credit transfers under its key (services/camt.py, unique): the
same file imported again is recognised and changes nothing, and a payment that shows on two
statements (an intraday and an end-of-day export) is taken once.

**Matching.** A line is matched to the final invoice whose RF payment reference it carries (the
structured reference, or one typed in the text); without one, to the invoice whose number is in
its text. A match records the payment (method "bank_transfer", its external id the line's key, so
never twice) with the line's amount and booking date, whatever the amount: less than open leaves
the rest open, more is the invoice's credit balance (on the statement of account, set against
what the organisation owes next or refunded). A line without a match, or in another currency, is
left "unmatched" for a vendor admin, who matches it to an invoice by its number or sets it aside
("ignored", e.g. a refund from a supplier), both audited.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from src.billing import repository
from src.billing.services import camt, payments
from src.core import audit, clock, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin

INVOICE_NUMBER = re.compile(r"\b(\d{4}-\d{6})\b")


def _external_id(key: str) -> str:
    return "bank:" + hashlib.sha256(key.encode()).hexdigest()[:40]


async def import_statement(actor: Actor, data: bytes) -> dict[str, Any]:
    """Import a camt.053 statement (vendor admins): `id`, `matched`, `unmatched`,
    `already_imported`, and the lines this import added."""
    require_vendor_admin(actor)
    parsed = camt.parse(data)
    identity = f"{parsed.iban}:{parsed.identity}"[:200]
    async with db.transaction():
        statement = await repository.insert_bank_statement(
            identity=identity,
            iban=parsed.iban,
            credits=len(parsed.credits),
            imported_by=actor.person_id or None,
            imported_by_name=actor.name,
            imported_at=clock.now(),
        )
        if statement is None:
            earlier = await repository.bank_statement_by_identity(identity)
            assert earlier is not None
            return {"id": earlier["id"], "matched": 0, "unmatched": 0, "already_imported": True, "lines": []}
        lines = []
        for credit in parsed.credits:
            line = await repository.insert_bank_line(
                statement=statement["id"],
                key=credit.key[:300],
                amount_cents=credit.amount_cents,
                currency=credit.currency or "EUR",
                booked_on=credit.booked_on,
                reference=(credit.reference or "")[:40],
                text=credit.text[:2000],
                payer_name=credit.payer_name[:200],
                payer_iban=credit.payer_iban[:34],
            )
            if line is not None:
                lines.append(line)
        await audit.record(
            actor,
            "billing.bank_statement_imported",
            organisation_id=None,
            object_type="bank_statement",
            object_id=statement["id"],
            after={"statement": parsed.identity, "account": parsed.iban, "payments": len(lines)},
        )
    matched = 0
    for line in lines:
        matched += await _match_automatically(actor, line)
    await repository.count_matched(int(statement["id"]))
    return {
        "id": statement["id"],
        "matched": matched,
        "unmatched": len(lines) - matched,
        "already_imported": False,
        "lines": lines,
    }


async def _match_automatically(actor: Actor, line: dict[str, Any]) -> int:
    invoice = None
    if line["reference"]:
        invoice = await repository.invoice_to_match(reference=line["reference"])
    if invoice is None:
        for number in INVOICE_NUMBER.findall(line["text"] or ""):
            invoice = await repository.invoice_to_match(number=number)
            if invoice is not None:
                break
    if invoice is None:
        return 0
    try:
        await _record(actor, line, invoice, _("matched automatically"))
    except (InputError, Conflict):
        return 0  # left for a vendor admin, who sees why when matching it by hand
    return 1


async def _record(actor: Actor, line: dict[str, Any], invoice: dict[str, Any], by: str) -> None:
    async with db.transaction():
        current = await repository.bank_line(int(line["id"]), lock=True)
        if current is None or current["status"] != "unmatched":
            raise Conflict(_("This payment is matched or set aside already."))
        if current["currency"] != "EUR":
            raise InputError(
                {"line": _("A payment in %(currency)s is matched by hand.", currency=current["currency"])}
            )
        await payments.record(
            actor,
            int(invoice["id"]),
            int(current["amount_cents"]),
            current["booked_on"],
            current["reference"] or (current["text"] or "")[:140],
            method="bank_transfer",
            external_id=_external_id(str(current["key"])),
        )
        await repository.set_bank_line(
            int(line["id"]),
            status="matched",
            invoice=int(invoice["id"]),
            matched_by_name=by,
            matched_at=clock.now(),
        )
        await repository.count_matched(int(current["statement"]))


async def match_by_hand(actor: Actor, line_id: int, invoice_number: Any) -> dict[str, Any]:
    """Match an unmatched line to a final invoice by its number (vendor admins; the payment is
    audited as it is recorded)."""
    require_vendor_admin(actor)
    line = await repository.bank_line(line_id)
    if line is None:
        raise NotFound()
    number = str(invoice_number or "").strip()
    invoice = await repository.invoice_to_match(number=number) if number else None
    if invoice is None:
        raise InputError({"invoice_number": _("No final invoice has this number.")})
    await _record(actor, line, invoice, actor.name)
    return {**line, "status": "matched", "invoice": invoice["id"], "invoice_number": invoice["number"]}


async def set_aside(actor: Actor, line_id: int, reason: Any) -> None:
    """Set an unmatched line aside: it is no customer's payment (vendor admins; audited)."""
    require_vendor_admin(actor)
    text = " ".join(str(reason or "").split())
    if not text:
        raise InputError({"reason": _("Say why this payment is set aside.")})
    async with db.transaction():
        line = await repository.bank_line(line_id, lock=True)
        if line is None:
            raise NotFound()
        if line["status"] != "unmatched":
            raise Conflict(_("This payment is matched or set aside already."))
        await repository.set_bank_line(
            line_id, status="ignored", matched_by_name=actor.name, matched_at=clock.now()
        )
        await audit.record(
            actor,
            "billing.bank_line_set_aside",
            organisation_id=None,
            object_type="bank_line",
            object_id=line_id,
            after={"amount_cents": line["amount_cents"], "payer": line["payer_name"], "reason": text[:500]},
        )


async def overview(actor: Actor) -> dict[str, Any]:
    require_vendor_admin(actor)
    return {
        "statements": await repository.bank_statements(),
        "unmatched": await repository.unmatched_bank_lines(),
    }
