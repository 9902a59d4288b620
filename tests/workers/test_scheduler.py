"""The schedule (src.workers.scheduler): jobs run again and again, a calendar job keeps its local
time across DST, a job missed while no leader ran runs once at take-over, and of two schedulers
only the one holding the leader's lock runs the jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis

from src.core.scheduling import DatabaseRunLog
from src.settings import Settings, get_settings
from src.workers import scheduler
from src.workers.leader_lock import FileLock, LeaderLock, RedisLock
from src.workers.scheduler import Job, Leader
from tests.workers.conftest import wait_until

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class MemoryRunLog:
    def __init__(self) -> None:
        self.started: dict[str, dt.datetime] = {}

    async def covered_until(self, name: str) -> dt.datetime | None:
        return self.started.get(name)

    async def record(self, name: str, started: dt.datetime) -> None:
        self.started[name] = started


def running(leader: Leader) -> asyncio.Task[None]:
    return asyncio.create_task(leader.run())


async def stopped(leader: Leader, task: asyncio.Task[None]) -> None:
    await leader.stop()
    await task


async def test_jobs_run_repeatedly_and_a_failing_job_does_not_stop_the_others(tmp_path):
    calls: list[str] = []

    async def tick() -> None:
        calls.append("tick")

    async def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    leader = Leader(
        FileLock(tmp_path / "lock"),
        MemoryRunLog(),
        [Job("tick", tick, seconds=0.01), Job("broken", broken, seconds=0.01)],
    )
    task = running(leader)
    try:
        await wait_until(
            lambda: calls.count("tick") >= 3 and calls.count("broken") >= 3, "three runs of each"
        )
    finally:
        await stopped(leader, task)
    stopped_at = len(calls)
    # stopping returns once the leader's run has ended: nothing runs after it.
    assert len(calls) == stopped_at


async def test_a_job_never_overlaps_itself(tmp_path):
    now_running = 0
    most = 0

    async def slow() -> None:
        nonlocal now_running, most
        now_running += 1
        most = max(most, now_running)
        await asyncio.sleep(0.02)
        now_running -= 1

    leader = Leader(FileLock(tmp_path / "lock"), MemoryRunLog(), [Job("slow", slow, seconds=0.001)])
    task = running(leader)
    try:
        await wait_until(lambda: leader.runs.get("slow", 0) >= 3, "three runs")
    finally:
        await stopped(leader, task)
    assert most == 1


def test_registering_a_name_again_replaces_the_job_and_a_bad_declaration_is_refused():
    async def first() -> None: ...

    async def second() -> None: ...

    before = dict(scheduler._REGISTRY)
    try:
        scheduler.every("test.job", seconds=5)(first)
        scheduler.every("test.job", seconds=7)(second)
        jobs = [j for j in scheduler.registered_jobs() if j.name == "test.job"]
        assert jobs == [Job("test.job", second, seconds=7)]
        with pytest.raises(ValueError):
            scheduler.every("test.bad", seconds=0)(first)
        with pytest.raises(ValueError):
            scheduler.cron("test.bad", timezone="Europe/Amsterdam", hour=25)(first)
        assert "test.bad" not in {j.name for j in scheduler.registered_jobs()}
    finally:
        scheduler._REGISTRY.clear()
        scheduler._REGISTRY.update(before)


def test_the_existing_jobs_keep_their_cadence():
    import src.domains  # noqa: F401 - every module that declares jobs

    settings = get_settings()
    seconds = {
        job.name: job.trigger().interval.total_seconds()  # type: ignore[attr-defined]
        for job in scheduler.registered_jobs()
        if job.name.startswith(("outbox.", "certificates.", "compliance."))
    }
    assert seconds == {
        "outbox.relay": settings.outbox_relay_interval,
        "outbox.sweep": settings.outbox_sweep_interval,
        "certificates.renewal_letters": 3600,
        "certificates.refresh_crls": 3600,
        "compliance.legacy_reminders": 3600,
    }


async def _monthly() -> None: ...


MONTHLY = Job(
    "billing.monthly",
    _monthly,
    cron=(("day", "1"), ("hour", "6"), ("minute", "0")),
    timezone="Europe/Amsterdam",
)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMSTERDAM)


def test_a_monthly_job_runs_on_the_first_at_six_local_time_in_winter_and_in_summer():
    before = dict(scheduler._REGISTRY)
    try:
        scheduler.cron("billing.monthly", timezone="Europe/Amsterdam", day=1, hour=6, minute=0)(_monthly)
        (job,) = [j for j in scheduler.registered_jobs() if j.name == "billing.monthly"]
    finally:
        scheduler._REGISTRY.clear()
        scheduler._REGISTRY.update(before)
    assert job == MONTHLY
    # Summer time starts on 28 March 2027: 06:00 is 05:00 UTC on 1 March, 04:00 UTC on 1 April.
    march = job.next_run_after(local(2027, 2, 15, 12, 0))
    assert march == local(2027, 3, 1, 6, 0)
    assert march.astimezone(dt.UTC) == dt.datetime(2027, 3, 1, 5, 0, tzinfo=dt.UTC)
    april = job.next_run_after(march)
    assert april.astimezone(dt.UTC) == dt.datetime(2027, 4, 1, 4, 0, tzinfo=dt.UTC)
    # and back on 25 October 2026
    october = job.next_run_after(local(2026, 9, 20, 0, 0))
    assert october.astimezone(dt.UTC) == dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.UTC)
    november = job.next_run_after(october)
    assert november.astimezone(dt.UTC) == dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)
    assert november.astimezone(AMSTERDAM).hour == 6


def test_a_leader_taking_over_runs_a_calendar_job_that_fell_due_while_nobody_led():
    now = local(2027, 2, 15, 12, 0)
    # Last run on 1 November; December, January and February fell due since.
    assert scheduler.first_run_time(MONTHLY, local(2026, 11, 1, 6, 0, 5), now) == local(2026, 12, 1, 6, 0)
    # Last run on 1 February: nothing missed, the next is in March.
    assert scheduler.first_run_time(MONTHLY, local(2027, 2, 1, 6, 0, 5), now) == local(2027, 3, 1, 6, 0)


async def test_missed_ticks_of_a_calendar_job_make_one_run_at_take_over(tmp_path):
    runs = 0

    async def monthly() -> None:
        nonlocal runs
        runs += 1

    job = Job("billing.monthly", monthly, cron=MONTHLY.cron, timezone=MONTHLY.timezone)
    run_log = DatabaseRunLog()
    three_months_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=92)
    await run_log.record(job.name, three_months_ago)  # the last leader died since

    leader = Leader(FileLock(tmp_path / "lock"), run_log, [job])
    task = running(leader)
    try:
        await wait_until(lambda: runs >= 1 and not leader.running, "the missed job running")
        await wait_until(
            lambda: _after(run_log.covered_until(job.name), three_months_ago), "the run being recorded"
        )
        assert leader.scheduler is not None
        next_run = leader.scheduler.get_job(job.name).next_run_time
    finally:
        await stopped(leader, task)
    assert runs == 1  # three ticks missed, one run
    assert next_run > dt.datetime.now(dt.UTC)
    assert next_run.astimezone(AMSTERDAM).day == 1 and next_run.astimezone(AMSTERDAM).hour == 6


async def test_a_new_calendar_job_waits_for_its_first_fire_time(tmp_path):
    runs = 0

    async def monthly() -> None:
        nonlocal runs
        runs += 1

    job = Job("billing.monthly", monthly, cron=MONTHLY.cron, timezone=MONTHLY.timezone)
    run_log = DatabaseRunLog()
    leader = Leader(FileLock(tmp_path / "lock"), run_log, [job])
    task = running(leader)
    try:
        await wait_until(lambda: leader.scheduler is not None, "the leader starting its schedule")
        assert leader.scheduler is not None
        next_run = leader.scheduler.get_job(job.name).next_run_time
    finally:
        await stopped(leader, task)
    assert runs == 0
    assert next_run > dt.datetime.now(dt.UTC)
    assert await run_log.covered_until(job.name) is not None  # from its first leader on


async def test_a_leader_whose_take_over_fails_tries_again(tmp_path):
    class FlakyRunLog(MemoryRunLog):
        failures = 1

        async def covered_until(self, name: str) -> dt.datetime | None:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("the database is away")
            return await super().covered_until(name)

    leader = Leader(FileLock(tmp_path / "lock"), FlakyRunLog(), [MONTHLY], check_every=0.05)
    task = running(leader)
    try:
        await wait_until(lambda: leader.leading, "the leader taking over on its second try")
    finally:
        await stopped(leader, task)


async def _after(covered: object, moment: dt.datetime) -> bool:
    value = await covered  # type: ignore[misc]
    return value is not None and value > moment


# --- one leader at a time --------------------------------------------------------------------------


@pytest.fixture(params=["database", "redis"])
def make_lock(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], LeaderLock]:
    """The lock of these tests' own set-up (a PostgreSQL advisory lock when they run on
    PostgreSQL, the embedded default's file lock on SQLite), and the Redis lock."""
    if request.param == "redis":
        url = str(request.getfixturevalue("redis_url"))
        client = redis.Redis.from_url(url)
        client.delete(RedisLock.KEY)
        client.close()
        return lambda: RedisLock(url, ttl=2)
    settings = Settings(
        database_url=get_settings().database_url, var_dir=tmp_path, secret_key=get_settings().secret_key
    )
    return lambda: scheduler.leader_lock(settings)


async def test_of_two_schedulers_one_runs_the_jobs_and_the_other_takes_over_when_it_stops(make_lock):
    runs = {"first": 0, "second": 0}

    def job_of(name: str) -> Job:
        async def count() -> None:
            runs[name] += 1

        return Job("test.tick", count, seconds=0.05)

    first = Leader(make_lock(), MemoryRunLog(), [job_of("first")], check_every=0.1)
    second = Leader(make_lock(), MemoryRunLog(), [job_of("second")], check_every=0.1)
    first_task = running(first)
    await wait_until(lambda: first.leading, "the first scheduler leading")
    second_task = running(second)
    try:
        await wait_until(lambda: runs["first"] >= 5, "the leader running its job")
        assert not second.leading
        assert runs["second"] == 0

        await stopped(first, first_task)
        await wait_until(lambda: second.leading and runs["second"] >= 1, "the second scheduler taking over")
        ran_by_first = runs["first"]
        await wait_until(lambda: runs["second"] >= 3, "the new leader running its job")
        assert runs["first"] == ran_by_first
    finally:
        await stopped(first, first_task)
        await stopped(second, second_task)
