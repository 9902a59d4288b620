"""The interval scheduler of `portal worker` runs registered async jobs again and again."""

from __future__ import annotations

import asyncio

import pytest

from src.workers import scheduler
from src.workers.scheduler import Job, Scheduler
from tests.workers.conftest import wait_until


async def test_jobs_run_repeatedly_and_a_failing_job_does_not_stop_the_others():
    calls: list[str] = []

    async def tick() -> None:
        calls.append("tick")

    async def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    jobs = Scheduler([Job("tick", tick, 0.01), Job("broken", broken, 0.01)])
    jobs.start()
    thread = jobs._thread
    try:
        await wait_until(
            lambda: calls.count("tick") >= 3 and calls.count("broken") >= 3, "three runs of each"
        )
    finally:
        jobs.stop()
    stopped_at = len(calls)
    # stop() returns once the jobs' thread and its loop have ended: nothing can run after it.
    assert thread is not None and not thread.is_alive()
    assert jobs._loop is not None and jobs._loop.is_closed()
    assert len(calls) == stopped_at


async def test_a_job_never_overlaps_itself():
    running = 0
    most = 0

    async def slow() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1

    jobs = Scheduler([Job("slow", slow, 0.001)])
    jobs.start()
    try:
        await wait_until(lambda: jobs.runs.get("slow", 0) >= 3, "three runs")
    finally:
        jobs.stop()
    assert most == 1


def test_registering_a_name_again_replaces_the_job():
    async def first() -> None: ...

    async def second() -> None: ...

    before = dict(scheduler._REGISTRY)
    try:
        scheduler.register("test.job", first, every=5)
        scheduler.register("test.job", second, every=7)
        jobs = [j for j in scheduler.registered_jobs() if j.name == "test.job"]
        assert jobs == [Job("test.job", second, 7)]
        with pytest.raises(ValueError):
            scheduler.register("test.bad", first, every=0)
    finally:
        scheduler._REGISTRY.clear()
        scheduler._REGISTRY.update(before)
