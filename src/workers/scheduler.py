"""A tiny interval scheduler for periodic jobs of the worker process.

Domains register async jobs with `@periodic(name, every=seconds)` in their tasks.py (imported
through src.workers.actors before the scheduler starts); `portal worker` runs them on one
background thread with its own event loop (no database pool: see broker.run_async). The
worker registers the outbox relay itself (`outbox.relay`, every --relay-interval seconds) and
the sweeper of stuck outbox rows (`outbox.sweep`, every OUTBOX_SWEEP_INTERVAL seconds).

Idempotent by design:
- a job is known by its name: registering the same name again replaces it, never doubles it;
- a job never overlaps itself: the next run is planned when the previous one has finished;
- several worker processes may run the same schedule at the same moment, so every job must be
  safe to run twice (the outbox relay claims each row before handing it over; billing and
  reminder jobs use unique keys such as (subscription, period)).
A failing run is logged and the job simply runs again at its next turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

JobFunction = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    every: float


_REGISTRY: dict[str, Job] = {}


def periodic(name: str, every: float) -> Callable[[JobFunction], JobFunction]:
    """Register an async job to run every `every` seconds in `portal worker`."""

    def decorate(function: JobFunction) -> JobFunction:
        register(name, function, every)
        return function

    return decorate


def register(name: str, function: JobFunction, every: float) -> None:
    if every <= 0:
        raise ValueError(f"job {name}: the interval must be positive")
    _REGISTRY[name] = Job(name, function, every)


def registered_jobs() -> list[Job]:
    return list(_REGISTRY.values())


class Scheduler:
    """Runs jobs on a background thread with its own event loop until `stop()`."""

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self.jobs: dict[str, Job] = {
            job.name: job for job in (jobs if jobs is not None else registered_jobs())
        }
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self.runs: dict[str, int] = {}

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="portal-scheduler", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to finish (a running job completes first) and wait for the thread."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = stop = asyncio.Event()
        self._started.set()
        next_run = {name: time.monotonic() for name in self.jobs}  # every job runs once at start
        while not stop.is_set():
            for name, job in self.jobs.items():
                if stop.is_set():
                    break
                if time.monotonic() < next_run[name]:
                    continue
                try:
                    await job.function()
                except Exception:
                    log.exception("periodic job %s failed", name)
                self.runs[name] = self.runs.get(name, 0) + 1
                next_run[name] = time.monotonic() + job.every
            wait = max(0.0, min(next_run.values(), default=time.monotonic() + 1.0) - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
