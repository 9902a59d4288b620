"""`portal worker` runs the schedule, one worker at a time, against real servers: the lock is
PostgreSQL's advisory lock when the tests run on PostgreSQL, a Redis lock on SQLite."""

from __future__ import annotations

import uuid

from src.core.tables import CaughtMail
from src.settings import get_settings
from tests.certificates.test_renewal import certificate_expiring_in
from tests.workers.conftest import wait_until
from tests.workers.test_worker_redis import queue_mail

LEADS = "this process runs the schedule"
STANDS_BY = "standing by"
FAST_TAKE_OVER = {"SCHEDULER_LOCK_TTL": "2"}


def caught(text: str):
    return CaughtMail.select().where(CaughtMail.subject.like(f"%{text}%")).first()


async def test_one_worker_runs_the_schedule_and_another_takes_over_when_it_is_killed(start_worker):
    # rule CRT-2: the renewal letter goes out from the worker's schedule
    _org, issued = await certificate_expiring_in(30)
    first = start_worker("--threads", "1", **FAST_TAKE_OVER)
    await wait_until(lambda: LEADS in first.log, lambda: f"the first worker leading\n{first.log}")
    lock = "PostgreSQL advisory lock" if get_settings().uses_postgres else "Redis lock"
    assert f"{LEADS} ({lock})" in first.log
    letter = await wait_until(
        lambda: caught(issued.number), lambda: f"the renewal letter being sent\n{first.log}"
    )
    assert letter["recipients"] == "hanna@zorg.example, carla@zorg.example"

    second = start_worker("--threads", "1", **FAST_TAKE_OVER)
    await wait_until(lambda: STANDS_BY in second.log, lambda: f"the second worker standing by\n{second.log}")
    assert LEADS not in second.log

    first.kill()  # no goodbye: the lock must die with the process
    await wait_until(lambda: LEADS in second.log, lambda: f"the second worker taking over\n{second.log}")
    # Only the leader relays the outbox: a mail written now arrives through the new leader.
    subject = f"After the take-over {uuid.uuid4().hex[:8]}"
    await queue_mail(subject)
    await wait_until(lambda: caught(subject), lambda: f"the new leader relaying\n{second.log}")
    assert second.stop() == 0, second.log
    assert await CaughtMail.count().where(CaughtMail.subject.like(f"%{issued.number}%")) == 1
