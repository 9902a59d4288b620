"""Complaints about invoices (rules BIL-8, BIL-9; general terms 004 §1.6 and §1.7.4).

A contact person disputes a final invoice, or one of its lines, with a text, within 10 days of
the invoice's date (`issued_on`). "Within 10 days" counts the days after the date: an invoice of
1 February can be disputed up to and including 11 February (day 10 is included), in the
organisation's time zone; from the day after, the right has lapsed (409 naming the last day).

A dispute never moves the due date and never holds up payment (BIL-8): the invoice stays due
as it was. A vendor admin resolves an open dispute once: with a credit note of the disputed line
(or of the lines they choose, for a complaint about the whole invoice), linked to the dispute,
or by rejecting it with a reason. The vendor admins are mailed when a dispute is opened, the
organisation's contact persons when it is resolved, each in their own language, through the
outbox. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing import repository
from src.billing.services import credits
from src.billing.services.invoicing import DISPUTE_DAYS
from src.core import audit, clock, db, mail, outbox
from src.core.errors import Conflict, Forbidden, InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.settings import get_settings
from src.subscriptions.services.letters import MAIL_ACTOR, tell_contact_persons

WINDOW_DAYS = DISPUTE_DAYS  # BIL-9: "binnen 10 dagen"
MAX_TEXT = 4000


def last_day(issued_on: dt.date) -> dt.date:
    """The last day a complaint about an invoice of `issued_on` is in time (included)."""
    return issued_on + dt.timedelta(days=WINDOW_DAYS)


def _clean_text(value: Any, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InputError({field: _("Describe what is wrong.")})
    if len(text) > MAX_TEXT:
        raise InputError({field: _("Use at most %(num)s characters.", num=MAX_TEXT)})
    return text


def invoice_url(invoice_id: int) -> str:
    return f"{get_settings().base_url}/organisation/invoices/{invoice_id}"


async def open_dispute(
    actor: Actor, organisation_id: int, invoice_id: int, text: Any, line_id: Any = None
) -> dict[str, Any]:
    """A contact person's complaint about a final invoice (or one line of it), in time."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    if actor.is_vendor_admin and not actor.is_contact_person:
        raise Forbidden(_("A complaint is made by a contact person of the organisation."))
    cleaned = _clean_text(text, "text")
    if line_id is not None and (isinstance(line_id, bool) or not isinstance(line_id, int) or line_id <= 0):
        raise InputError({"line_id": _("Choose a line of this invoice.")})
    async with db.transaction():
        invoice = await repository.invoice(scope, invoice_id)
        if invoice["status"] != "final":
            raise NotFound()
        if invoice["kind"] != "invoice":
            raise Conflict(_("A credit note cannot be disputed; dispute the invoice it credits."))
        if line_id is not None:
            lines = {int(x["id"]) for x in await repository.lines_of(scope, [invoice_id])}
            if line_id not in lines:
                raise InputError({"line_id": _("Choose a line of this invoice.")})
        until = last_day(invoice["issued_on"])
        if clock.today(invoice["customer_country"] or None) > until:
            raise Conflict(
                _(
                    "Complaints about an invoice can be made within %(days)s days of its date "
                    "(general terms, article 1.6); for invoice %(number)s the last day was %(day)s.",
                    days=WINDOW_DAYS,
                    number=invoice["number"],
                    day=format_date(until),
                )
            )
        dispute_id = await repository.insert_dispute(
            scope,
            invoice=invoice_id,
            line=line_id,
            text=cleaned,
            status="open",
            opened_by=actor.person_id or None,
            opened_by_name=actor.name,
            opened_at=clock.now(),
        )
        row = await repository.dispute(scope, dispute_id)
        await audit.record(
            actor,
            "invoice.disputed",
            organisation_id=organisation_id,
            object_type="invoice",
            object_id=invoice_id,
            after={"dispute": dispute_id, "line": line_id, "text": cleaned},
        )
        await _tell_vendor_admins(row)
    return row


async def _tell_vendor_admins(row: dict[str, Any]) -> None:
    for admin in await repository.vendor_admin_addresses():
        language = admin["locale"] if admin["locale"] in LOCALES else "en"
        token = current_locale.set(language)
        try:
            subject = _("Complaint about invoice %(number)s", number=row["invoice_number"])
            lines = [
                _(
                    "%(organisation)s disputes invoice %(number)s:",
                    organisation=row["organisation_name"],
                    number=row["invoice_number"],
                ),
                "",
                *([_("Line: %(line)s", line=row["line_description"])] if row["line_description"] else []),
                row["text"],
                "",
                _("Resolve it with a credit note or reject it with a reason: %(url)s", url=disputes_url()),
            ]
            body = mail.letter(_("Dear %(name)s,", name=admin["name"]), lines)
        finally:
            current_locale.reset(token)
        await outbox.enqueue(
            MAIL_ACTOR,
            {"to": [admin["email"]], "subject": subject, "body": body},
            f"dispute-opened:{row['id']}:{admin['id']}",
        )


def disputes_url() -> str:
    return f"{get_settings().base_url}/admin/billing/disputes"


async def _scope_of(actor: Actor, dispute_id: int) -> TenantScope:
    require_vendor_admin(actor)
    organisation_id = await repository.organisation_of_dispute(actor, dispute_id)
    if organisation_id is None:
        raise NotFound()
    return TenantScope(actor, organisation_id)


async def resolve(
    actor: Actor, dispute_id: int, outcome: Any, reason: Any, line_ids: Any = None
) -> dict[str, Any]:
    """A vendor admin resolves an open dispute: `outcome` "credit" (a credit note of the disputed
    line, or of `line_ids` / every line not credited yet for a complaint about the whole invoice)
    or "reject" (with the reason). Once: a resolved dispute answers 409."""
    scope = await _scope_of(actor, dispute_id)
    if outcome not in ("credit", "reject"):
        raise InputError({"outcome": _("Choose a credit note or a rejection.")})
    text = credits.clean_reason(reason)
    chosen = credits.clean_line_ids(line_ids)
    try:
        async with db.transaction():
            row = await repository.dispute(scope, dispute_id)
            if row["status"] != "open":
                raise Conflict(_("This complaint was resolved already."))
            credit_note_id = None
            if outcome == "credit":
                if row["line"] is not None:
                    chosen = [int(row["line"])]
                credit_note_id = await credits.credit_in_transaction(
                    actor, scope.organisation_id, int(row["invoice"]), text, chosen
                )
            done = await repository.resolve_dispute(
                scope,
                dispute_id,
                status="credited" if credit_note_id else "rejected",
                resolution=text,
                resolved_by=actor.person_id or None,
                resolved_by_name=actor.name,
                resolved_at=clock.now(),
                credit_note=credit_note_id,
            )
            if not done:
                raise Conflict(_("This complaint was resolved already."))
            row = await repository.dispute(scope, dispute_id)
            await audit.record(
                actor,
                "invoice.dispute_resolved",
                organisation_id=scope.organisation_id,
                object_type="invoice",
                object_id=int(row["invoice"]),
                before={"dispute": dispute_id, "status": "open"},
                after={
                    "dispute": dispute_id,
                    "status": row["status"],
                    "resolution": text,
                    "credit_note": row["credit_note_number"],
                },
            )
            await _tell_contact_persons(actor, scope.organisation_id, row)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(_("These lines were credited at the same moment by someone else.")) from exc
        raise
    return row


async def _tell_contact_persons(actor: Actor, organisation_id: int, row: dict[str, Any]) -> None:
    organisation = {"id": organisation_id, "country": ""}
    invoice = await repository.invoice(TenantScope(actor, organisation_id), int(row["invoice"]))
    organisation["country"] = invoice["customer_country"]
    credit_note = (
        await repository.invoice(TenantScope(actor, organisation_id), int(row["credit_note"]))
        if row["credit_note"]
        else None
    )

    def compose() -> tuple[str, list[str]]:
        if credit_note is not None:
            subject = _("Your complaint about invoice %(number)s: credited", number=row["invoice_number"])
            outcome = _(
                "We agree and have credited it: credit note %(number)s of %(amount)s is money back to you.",
                number=credit_note["number"],
                amount=format_money(credit_note["total_cents"], credit_note["currency"]),
            )
        else:
            subject = _("Your complaint about invoice %(number)s: rejected", number=row["invoice_number"])
            outcome = _("We have rejected it.")
        return subject, [
            _(
                "You disputed invoice %(number)s on %(day)s:",
                number=row["invoice_number"],
                day=format_date(row["opened_at"].date()),
            ),
            row["text"],
            "",
            outcome,
            _("Reason: %(reason)s", reason=row["resolution"]),
            "",
            _(
                "A complaint does not change the due date: the invoice is due on %(day)s.",
                day=format_date(row["invoice_due_on"]),
            ),
            invoice_url(int(row["invoice"])),
        ]

    await tell_contact_persons(actor, organisation, f"dispute-resolved:{row['id']}", compose)


async def open_disputes(actor: Actor) -> list[dict[str, Any]]:
    """Every organisation's open complaints, oldest first (vendor admins)."""
    require_vendor_admin(actor)
    return await repository.open_disputes(actor)


async def disputes_of(actor: Actor, organisation_id: int, invoice_id: int) -> list[dict[str, Any]]:
    return await repository.disputes_of(TenantScope(actor, organisation_id), invoice_id)
