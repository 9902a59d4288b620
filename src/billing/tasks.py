"""The billing domain's worker actors and its monthly schedule."""

from __future__ import annotations

from src.billing.services import (
    direct_debit,
    documents,
    reminders,
    review,
    runs,
    stripe_events,
    stripe_refunds,
)
from src.core import clock
from src.core.errors import Conflict
from src.workers import scheduler
from src.workers.broker import async_actor


@async_actor(runs.BATCH_ACTOR, max_retries=20)
async def run_batch(run_id: int, position: int, dedupe_key: str = "") -> None:
    """Invoice one batch of a billing run's organisations (any worker, any machine)."""
    await runs.run_batch(run_id, position)


@scheduler.cron("billing.monthly_run", timezone="Europe/Amsterdam", day=1, hour=3)
async def monthly_run() -> None:
    """On the first of each month at 03:00 in the vendor's time zone: the run for the month that
    just ended (a run for it that is still going, or done, makes this one invoice nothing new)."""
    try:
        await runs.start(runs.BILLING, runs.previous_month(clock.today()))
    except Conflict:
        pass  # the month's run is going already


@scheduler.every("billing.finalise_reviewed_drafts", seconds=3600)
async def finalise_reviewed_drafts() -> None:
    """Hourly: finalise the invoices whose review period (INVOICE_REVIEW_DAYS) has ended."""
    await review.finalise_reviewed_drafts()


@async_actor(documents.RENDER_ACTOR, max_retries=20)
async def render_documents(organisation_id: int, invoice_id: int, dedupe_key: str = "") -> None:
    """Render and store a final invoice's PDF and e-invoice once, then queue their mail."""
    await documents.render_documents(organisation_id, invoice_id)


@async_actor(documents.MAIL_ACTOR, max_retries=8)
async def mail_documents(organisation_id: int, invoice_id: int, dedupe_key: str) -> None:
    """Mail an invoice's documents once; finishes only once the mail is confirmed sent."""
    await documents.mail_documents(organisation_id, invoice_id, dedupe_key)


@scheduler.cron("billing.send_reminders", timezone="Europe/Amsterdam", hour=6)
async def send_reminders() -> None:
    """Daily at 06:00 in the vendor's time zone: the steps of the reminder schedule that have
    become due for overdue invoices, each once."""
    await reminders.send_due()


@async_actor(stripe_events.EVENT_ACTOR, max_retries=20)
async def stripe_event(event_id: str, dedupe_key: str = "") -> None:
    """Process one of Stripe's events, stored by the webhook, once."""
    await stripe_events.process(event_id)


@scheduler.cron("billing.collect_direct_debits", timezone="Europe/Amsterdam", hour=7)
async def collect_direct_debits() -> None:
    """Daily at 07:00 in the vendor's time zone: hand the invoices due for collection by direct
    debit to the workers (each once)."""
    if direct_debit.offered():
        await direct_debit.collect_due()


@async_actor(direct_debit.COLLECT_ACTOR, max_retries=20)
async def collect_direct_debit(organisation_id: int, invoice_id: int, dedupe_key: str = "") -> None:
    """Collect one invoice by SEPA Direct Debit under the organisation's mandate, once."""
    await direct_debit.collect(organisation_id, invoice_id)


@async_actor(stripe_refunds.REFUND_ACTOR, max_retries=20)
async def stripe_refund(organisation_id: int, credit_note_id: int, dedupe_key: str = "") -> None:
    """Refund a credit note on an invoice paid through Stripe, once."""
    await stripe_refunds.refund(organisation_id, credit_note_id)
