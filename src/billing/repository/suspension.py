"""The queries of suspension for non-payment (rule BIL-10): invoices made due at once, the
organisations at risk, and whom to tell (services/suspension.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing.tables import Invoice
from src.core.tenancy import CONTACT_PERSON, Actor, TenantScope, readable
from src.tenants.tables import Membership


async def accelerate(scope: TenantScope, invoice_id: int, day: dt.date) -> bool:
    """Make the invoice due on `day` (all claims due at once); False when it was due by then."""
    rows = await (
        Invoice.update({Invoice.accelerated_due_on: day})
        .where(Invoice.id == invoice_id)
        .where(Invoice.organisation == scope.organisation_id)
        .where(Invoice.due_on > day)
        .where(Invoice.accelerated_due_on.is_null() | (Invoice.accelerated_due_on > day))
        .returning(Invoice.id)
    )
    return bool(rows)


async def organisations_in_arrears(actor: Actor, due_before: dt.date) -> list[int]:
    """The organisations with a final invoice of their own due before `due_before` or already
    far in the reminder schedule (paid ones among them: the service sees what is open)."""
    rows = await (
        readable(actor, Invoice, Invoice.organisation)
        .where(Invoice.kind == "invoice")
        .where(Invoice.status == "final")
        .where(Invoice.payer_kind == "organisation")
        .where((Invoice.due_on < due_before) | Invoice.dunning_state.is_in(["final_notice", "collection"]))
        .distinct()
    )
    return sorted({int(r["organisation"]) for r in rows})


async def contact_person_languages(scope: TenantScope) -> list[dict[str, Any]]:
    """The active contact persons with an e-mail address: `name`, `email` and their language."""
    return await (
        scope.select(
            Membership,
            Membership.name,
            Membership.email,
            Membership.person.locale.as_alias("locale"),
        )
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .where(Membership.email != "")
        .order_by(Membership.id)
    )
