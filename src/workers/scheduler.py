"""The schedule of periodic jobs, run by one leader at a time, on every set-up.

The library is APScheduler 3.x (the stable line; 4 is a pre-release). It computes interval and
calendar (cron) schedules in any time zone, DST included, coalesces missed runs into one, never
lets a job overlap itself, and runs coroutine jobs on the event loop it is started on, so the
embedded default runs the schedule inside the web process and `portal worker` on a thread of its
own. periodiq was the other candidate: it only sends a dramatiq message at each whole minute (no
sub-minute intervals for the outbox relay), runs as a process of its own, has no time zones and
no catching up of a run missed while nothing ran, and is LGPL.

Jobs are declared where the work is, in a domain's `tasks.py` (and src.core.outbox for the relay
and the sweeper), with `@every(name, seconds=...)` or `@cron(name, timezone=..., day=1, hour=6)`;
this module imports no domain. The list of modules to import before the schedule starts lives in
composition (src.domains). A job is known by its name: registering the name again replaces
it, never doubles it.

One leader at a time: every process that may run the schedule (each `portal worker` without
`--no-scheduler`, each web process of the embedded default) tries to take a lock
(`leader_lock`); the one that holds it runs every job, the others stand by and try again every
third of SCHEDULER_LOCK_TTL seconds. The lock dies with its holder:
- PostgreSQL (whenever the database is PostgreSQL, with or without Redis): a session advisory
  lock on a connection of its own. The server frees it the moment the connection goes (a killed
  process is replaced at the next try; a vanished host within about SCHEDULER_LOCK_TTL, through
  TCP keepalives), there is no lease that a long pause could let expire under a leader still
  running, and a leader cut off from the database, where every job does its work, is no leader.
  Preferred over Redis for these reasons.
- Redis (SQLite with Redis as the broker): a lock that expires SCHEDULER_LOCK_TTL seconds after
  its holder stopped renewing it.
- SQLite without Redis: a file lock under PORTAL_VAR_DIR, so of several web processes of
  `portal run` on one machine only one runs the schedule; the kernel frees it when the process dies.

When a leader takes over, interval jobs run at once (as they did at every start before) and then
every interval. A calendar job that fell due while no leader ran (the fire times since it last
started, kept by a `RunLog` in the database) runs once at take-over, however many of its ticks
were missed (APScheduler coalesces them), and then at its next fire time. Every job must still be
idempotent: a leader that loses its lock while a job runs lets that run finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from src.settings import Settings
from src.workers.leader_lock import LeaderLock, leader_lock

log = logging.getLogger(__name__)
# APScheduler logs every run and every job it adds at INFO, and the outbox relay runs every
# second; this module logs who leads and which jobs run, failures come at WARNING and above.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

JobFunction = Callable[[], Awaitable[object]]
Seconds = float | Callable[[], float]


@dataclass(frozen=True)
class Job:
    """A registered job: `seconds` for an interval job (a number, or a function reading it from
    the settings when the schedule starts), else a calendar job with `cron` fields in `timezone`."""

    name: str
    function: JobFunction
    seconds: Seconds | None = None
    cron: tuple[tuple[str, str], ...] = ()
    timezone: str = "UTC"

    @property
    def is_calendar(self) -> bool:
        return self.seconds is None

    def trigger(self) -> BaseTrigger:
        if self.seconds is None:
            return CronTrigger(**dict(self.cron), timezone=ZoneInfo(self.timezone))
        seconds = self.seconds() if callable(self.seconds) else self.seconds
        if seconds <= 0:
            raise ValueError(f"job {self.name}: the interval must be positive")
        return IntervalTrigger(seconds=seconds, timezone=dt.UTC)

    def next_run_after(self, moment: dt.datetime) -> dt.datetime:
        """The first fire time after `moment` (a calendar job's, in its own time zone)."""
        return first_run_time(self, moment, moment)


_REGISTRY: dict[str, Job] = {}


def register(job: Job) -> None:
    if not callable(job.seconds):  # an interval read from the settings is checked there
        job.trigger()  # refuses a bad declaration at import, not when the schedule starts
    _REGISTRY[job.name] = job


def every(name: str, *, seconds: Seconds) -> Callable[[JobFunction], JobFunction]:
    """Declare an async job that runs every `seconds` (and once when a leader takes over)."""

    def decorate(function: JobFunction) -> JobFunction:
        register(Job(name, function, seconds=seconds))
        return function

    return decorate


def cron(name: str, *, timezone: str, **fields: str | int) -> Callable[[JobFunction], JobFunction]:
    """Declare an async job on a calendar, in a time zone: `cron("billing.monthly",
    timezone="Europe/Amsterdam", day=1, hour=6)` runs on the 1st at 06:00 Amsterdam time, summer
    or winter. Fields as in cron: minute, hour, day, month, day_of_week (unset: minute 0, hour 0
    when only the day is given; see APScheduler's CronTrigger)."""

    def decorate(function: JobFunction) -> JobFunction:
        cron_fields = tuple(sorted((key, str(value)) for key, value in fields.items()))
        register(Job(name, function, cron=cron_fields, timezone=timezone))
        return function

    return decorate


def registered_jobs() -> list[Job]:
    return list(_REGISTRY.values())


def first_run_time(job: Job, covered_until: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When a leader taking over at `now` first runs a calendar job whose fire times up to
    `covered_until` were handled: the first fire time after that, which is in the past (so it runs
    at once, one run for all the missed ones) when the job fell due while no leader ran."""
    fire = job.trigger().get_next_fire_time(covered_until, now)
    assert fire is not None  # a cron trigger without an end date always fires again
    return fire


class RunLog(Protocol):
    """Remembers, per calendar job, the start of its last run: every fire time before it was
    handled (src.core.scheduling keeps it in the database)."""

    async def covered_until(self, name: str) -> dt.datetime | None: ...

    async def record(self, name: str, started: dt.datetime) -> None: ...


def leader_for(settings: Settings, run_log: RunLog) -> Leader:
    """The leader of every registered job for these settings' lock."""
    return Leader(leader_lock(settings), run_log, check_every=settings.scheduler_lock_ttl / 3)


# --- the leader ----------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Leader:
    """Runs the jobs while it holds `lock`; otherwise stands by and tries again every
    `check_every` seconds. Run it with `await leader.run()` on the loop the jobs should use
    (the app's in the embedded default), and end it with `await leader.stop()`."""

    def __init__(
        self,
        lock: LeaderLock,
        run_log: RunLog,
        jobs: list[Job] | None = None,
        *,
        check_every: float = 10.0,
    ) -> None:
        self.lock = lock
        self.run_log = run_log
        self.jobs = {job.name: job for job in (jobs if jobs is not None else registered_jobs())}
        self.check_every = check_every
        self.leading = False
        self.runs: dict[str, int] = {}
        self.running: set[asyncio.Task[Any]] = set()
        self.scheduler: AsyncIOScheduler | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        self._stop = stop = asyncio.Event()
        self._task = asyncio.current_task()
        standing_by = False
        try:
            while not stop.is_set():
                try:
                    acquired = await self.lock.acquire()
                except Exception:
                    log.exception("could not try the schedule's lock (%s)", self.lock.description)
                    acquired = False
                if acquired:
                    standing_by = False
                    try:
                        await self._lead(stop)
                    except Exception:  # the database is away, say: give up the lead, try again
                        log.exception("the schedule stopped")
                    finally:
                        with contextlib.suppress(Exception):
                            await self.lock.release()
                elif not standing_by:
                    log.info("standing by: another process runs the schedule (%s)", self.lock.description)
                    standing_by = True
                await self._wait(stop, self.check_every)
        finally:
            with contextlib.suppress(Exception):
                await self.lock.release()
            close = getattr(self.lock, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    async def stop(self) -> None:
        """Stop leading (a running job finishes first) and standing by."""
        if self._stop is not None:
            self._stop.set()
        if self._task is not None and self._task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    @staticmethod
    async def _wait(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def _lead(self, stop: asyncio.Event) -> None:
        """Run the jobs until asked to stop or the lock is lost (the caller releases it)."""
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        now = _now()
        for job in self.jobs.values():
            scheduler.add_job(
                self._run_job,
                trigger=job.trigger(),
                args=(job,),
                id=job.name,
                name=job.name,
                next_run_time=await self._first_run(job, now),
                coalesce=True,  # however many ticks were missed: one run
                max_instances=1,  # never overlaps itself
                misfire_grace_time=None,  # however late: it runs
            )
        self.scheduler = scheduler
        self.leading = True
        scheduler.start()
        log.info("this process runs the schedule (%s): %s", self.lock.description, ", ".join(self.jobs))
        try:
            while not stop.is_set():
                await self._wait(stop, self.check_every)
                if stop.is_set():
                    break
                if not await self.lock.keep():
                    log.warning("lost the schedule's lock; standing by")
                    break
        finally:
            self.leading = False
            scheduler.pause()
            if self.running:  # let running jobs finish
                await asyncio.wait(set(self.running), timeout=30)
            scheduler.shutdown(wait=False)
            self.scheduler = None

    async def _first_run(self, job: Job, now: dt.datetime) -> dt.datetime:
        if not job.is_calendar:
            return now
        covered = await self.run_log.covered_until(job.name)
        if covered is None:  # a new job: its fire times count from its first leader on
            await self.run_log.record(job.name, now)
            covered = now
        return first_run_time(job, covered, now)

    async def _run_job(self, job: Job) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        started = _now()
        try:
            await job.function()
        except Exception:
            log.exception("scheduled job %s failed", job.name)  # it runs again at its next turn
        finally:
            self.runs[job.name] = self.runs.get(job.name, 0) + 1
            self.running.discard(task)
            if job.is_calendar:
                try:
                    await self.run_log.record(job.name, started)
                except Exception:
                    log.exception("could not record the run of %s", job.name)


class LeaderThread:
    """A leader on a thread with its own event loop (for `portal worker`)."""

    def __init__(self, leader: Leader) -> None:
        self.leader = leader
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="portal-scheduler", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.call_soon(self._started.set)
            loop.run_until_complete(self.leader.run())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self, timeout: float = 40.0) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(self.leader.stop(), loop)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
