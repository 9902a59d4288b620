"""The subscriptions domain's periodic jobs."""

from __future__ import annotations

from src.subscriptions.services import changes
from src.workers import scheduler


@scheduler.every("subscriptions.scheduled_changes", seconds=600)
async def scheduled_changes_job() -> None:
    """Every ten minutes (and when a process takes the lead of the schedule): the downgrades,
    cancellations and other changes whose day has begun take effect, each once (rule SUB-3),
    also those whose day passed while no scheduler ran."""
    await changes.apply_due()
