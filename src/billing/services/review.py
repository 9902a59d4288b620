"""The review period of invoices (INVOICE_REVIEW_DAYS, src/core/vendor.py).

With a review period a billing run ends leaving its invoices as drafts: a vendor admin reviews
them and finalises one, a selection or all of a run (each audited `billing.invoice_finalised`
when the call finalised it), and the hourly job `billing.finalise_reviewed_drafts` finalises
every draft whose review period has ended (made more than N days ago). Finalising twice, or at
the same moment, gives one number (invoicing.finalise_draft). Organisations never see drafts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing import repository
from src.billing.services import invoicing
from src.core import audit, clock, db
from src.core.errors import NotFound
from src.core.tenancy import Actor, require_vendor_admin
from src.core.vendor import vendor

# The job acts for every organisation.
REVIEW = Actor(person_id=0, name="invoice review period", is_vendor_admin=True)


def review_ends(created_at: dt.datetime) -> dt.datetime:
    """When a draft made at this moment is finalised by the job."""
    return created_at + dt.timedelta(days=vendor().invoice_review_days)


async def drafts(actor: Actor, run_id: int | None = None) -> list[dict[str, Any]]:
    """The drafts to review (of one run, or all), oldest first, each with when the job will
    finalise it (vendor admins)."""
    require_vendor_admin(actor)
    return [
        {**row, "finalised_from": review_ends(row["created_at"]) if row["created_at"] else None}
        for row in await repository.drafts(actor, run_id)
    ]


async def finalise_one(actor: Actor, invoice_id: int) -> tuple[dict[str, Any], bool]:
    """Finalise a draft (vendor admins): the invoice, and whether this call finalised it."""
    require_vendor_admin(actor)
    organisation_id = await repository.organisation_of_invoice(actor, invoice_id)
    if organisation_id is None:
        raise NotFound()
    async with db.transaction():
        row, finalised = await invoicing.finalise_draft(actor, organisation_id, invoice_id)
        if finalised:
            await audit.record(
                actor,
                "billing.invoice_finalised",
                organisation_id=organisation_id,
                object_type="invoice",
                object_id=invoice_id,
                before={"status": "draft"},
                after={"status": "final", "number": row["number"]},
            )
    return row, finalised


async def finalise_selected(actor: Actor, invoice_ids: list[int]) -> int:
    """Finalise these drafts, each in its own transaction; how many this call finalised
    (unknown ones and final ones are passed over)."""
    require_vendor_admin(actor)
    made = 0
    for invoice_id in sorted(set(invoice_ids)):
        try:
            _row, finalised = await finalise_one(actor, invoice_id)
        except NotFound:
            continue
        made += finalised
    return made


async def finalise_run(actor: Actor, run_id: int) -> int:
    """Finalise every draft of a billing run; how many this call finalised."""
    require_vendor_admin(actor)
    return await finalise_selected(actor, [int(d["id"]) for d in await repository.drafts_of_run(run_id)])


async def finalise_reviewed_drafts() -> int:
    """The hourly job: finalise the drafts whose review period has ended (none when there is no
    review period: a run finalises its own drafts); how many it finalised. Repeating it, or two
    at once, finalises each draft once."""
    days = vendor().invoice_review_days
    if days <= 0:
        return 0
    before = clock.now() - dt.timedelta(days=days)
    made = 0
    while due := await repository.drafts_due(before):  # in pages, until none is left
        for draft in due:
            _row, finalised = await invoicing.finalise_draft(
                REVIEW, int(draft["organisation"]), int(draft["id"])
            )
            made += finalised
    return made
