"""The schedule's memory in the database: when each calendar job last started.

The leader of the schedule (src.workers.scheduler.Leader) reads it when it takes over, to run a
job that fell due while no leader ran, and writes it after every run of a calendar job. The
assembly (src.app, src.cli) hands it to the leader; the scheduler itself imports nothing of core."""

from __future__ import annotations

import datetime as dt

from src.core.tables import ScheduledJob


class DatabaseRunLog:
    async def covered_until(self, name: str) -> dt.datetime | None:
        row = await ScheduledJob.select(ScheduledJob.last_started_at).where(ScheduledJob.name == name).first()
        if row is None:
            return None
        started: dt.datetime = row["last_started_at"]
        return started if started.tzinfo else started.replace(tzinfo=dt.UTC)

    async def record(self, name: str, started: dt.datetime) -> None:
        await ScheduledJob.insert(ScheduledJob(name=name, last_started_at=started)).on_conflict(
            target=ScheduledJob.name,
            action="DO UPDATE",
            values=[(ScheduledJob.last_started_at, started)],
        )
