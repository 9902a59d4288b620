"""Billing runs: a month's invoices for every organisation, shared by the workers (BIL-1..5).

`start` checks the month has ended, records the run and its batches (a share of the
organisations each) and hands each batch to the workers through the outbox, in one transaction:
the batches go out once the run is stored, and never without it. A second run for a month while
one runs is refused (a unique column); a run for a month that was invoiced before invoices only
what is new (each organisation's invoice for the month exists once). `run_batch` (a dramatiq
actor, in tasks.py) invoices a batch's organisations, each in its own transaction, then marks the
batch done and finalises its drafts (numbers, dates) once; the last batch ends the run.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.billing import repository
from src.billing.services import invoicing
from src.billing.services.proration import Period
from src.core import audit, clock, db, outbox
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, require_vendor_admin
from src.core.vendor import vendor
from src.subscriptions.services import billable

BATCH_SIZE = 100
BATCH_ACTOR = "billing.run_batch"
# The workers act for every organisation.
BILLING = Actor(person_id=0, name="billing run", is_vendor_admin=True)


def closed_period(text: Any) -> Period:
    """A month that has ended in the vendor's time zone (InputError naming `period`)."""
    try:
        period = Period.parse(str(text or ""))
    except ValueError:
        raise InputError({"period": _("Give the month as YYYY-MM, e.g. 2027-01.")}) from None
    today = clock.today()
    if period.end > today:
        raise InputError(
            {
                "period": _(
                    "A month is invoiced after it has ended: %(month)s can be invoiced from %(date)s.",
                    month=period.label,
                    date=format_date(period.end),
                )
            }
        )
    return period


async def start(actor: Actor, period_text: Any, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Start the run for a closed month (vendor admins, the schedule, the command line)."""
    require_vendor_admin(actor)
    period = closed_period(period_text)
    organisations = await billable.organisations_to_bill(BILLING, period.first, period.end)
    batches = [organisations[i : i + batch_size] for i in range(0, len(organisations), batch_size)]
    try:
        async with db.transaction():
            run = await repository.insert_run(
                period=period.label,
                status="running" if batches else "done",
                running_period=period.label if batches else None,
                batches_total=len(batches),
                organisations=len(organisations),
                started_by=actor.person_id or None,
                finished_at=None if batches else clock.now(),
            )
            await repository.insert_batches(run["id"], batches)
            for position in range(len(batches)):
                await outbox.enqueue(
                    BATCH_ACTOR,
                    {"run_id": run["id"], "position": position},
                    f"billing-run:{run['id']}:{position}",
                )
            await audit.record(
                actor,
                "billing.run_started",
                organisation_id=None,
                object_type="billing_run",
                object_id=run["id"],
                after={"period": period.label, "organisations": len(organisations)},
            )
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(
                _("The run for %(month)s is running already; wait until it is done.", month=period.label)
            ) from None
        raise
    return run


async def run_batch(run_id: int, position: int) -> None:
    """Invoice one batch's organisations (each once), then, once, count the batch done and
    finalise its drafts (numbers, dates) in one transaction, so the workers finalise their
    batches side by side; the last batch ends the run. With a review period
    (INVOICE_REVIEW_DAYS) the drafts wait for a vendor admin, or for the hourly job once the
    period has ended (services/review.py)."""
    run = await repository.run(run_id)
    batch = await repository.batch(run_id, position)
    if run is None or batch is None or batch["done"]:
        return
    organisations = batch["organisations"]
    if isinstance(organisations, str):
        organisations = json.loads(organisations)
    organisations = [int(o) for o in organisations]
    for organisation_id in organisations:
        await invoicing.bill_organisation(BILLING, run, organisation_id)
    async with db.transaction():
        if not await repository.finish_batch(run_id, position):
            return
        # The run's row first (the count locks it), then the number series (finalising locks
        # it): every batch takes the two in this order, so two batches never wait on each other.
        done, total = await repository.count_batch_done(run_id)
        reviews = vendor().reviews_invoices
        if not reviews:
            drafts = await repository.drafts_of_run(run_id, organisations)
            await invoicing.finalise_many(BILLING, [int(d["id"]) for d in drafts])
        if done == total:
            if not reviews:  # drafts a failed earlier attempt left (each is claimed once)
                drafts = await repository.drafts_of_run(run_id)
                await invoicing.finalise_many(BILLING, [int(d["id"]) for d in drafts])
            await repository.update_run(run_id, status="done", running_period=None, finished_at=clock.now())


async def _with_state(run: dict[str, Any]) -> dict[str, Any]:
    """A run with its totals; a running run whose batch the workers gave up on (every retry
    failed) is "failed", with the error, until its failed batches are handed over again."""
    run = {**run, **await repository.run_totals(int(run["id"])), "failed_batches": 0}
    if run["status"] == "running":
        failed = await repository.given_up_batches(int(run["id"]), BATCH_ACTOR)
        if failed:
            error = (failed[0]["last_error"] or "").strip().splitlines()
            run.update(status="failed", failed_batches=len(failed), error=error[-1] if error else "")
    return run


async def progress(actor: Actor, run_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    run = await repository.run(run_id)
    if run is None:
        raise NotFound()
    return await _with_state(run)


async def retry(actor: Actor, run_id: int) -> dict[str, Any]:
    """Hand a failed run's given-up batches to the workers again (vendor admins; audited for
    each batch). What its other batches invoiced stays: each organisation's month is made once."""
    require_vendor_admin(actor)
    run = await repository.run(run_id)
    if run is None:
        raise NotFound()
    failed = await repository.given_up_batches(run_id, BATCH_ACTOR)
    if run["status"] != "running" or not failed:
        raise Conflict(_("This billing run has not failed, so there is nothing to start again."))
    await outbox.retry_failed(actor, [int(row["id"]) for row in failed])
    return await progress(actor, run_id)


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


async def recent(actor: Actor) -> list[dict[str, Any]]:
    """The latest runs with their invoices and totals (vendor admins)."""
    require_vendor_admin(actor)
    return [await _with_state(r) for r in await repository.runs()]
