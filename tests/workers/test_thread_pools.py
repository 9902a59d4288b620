"""A worker thread queries PostgreSQL through a connection pool of its own event loop, not a
new connection (TLS attempt, authentication) per query; SQLite needs none."""

from __future__ import annotations

import threading
from typing import Any

from src.core import db
from src.tenants.tables import Organisation
from src.workers import broker


def in_a_worker_thread(work: Any) -> list[Any]:
    """What a worker thread of `portal worker` does: each actor's coroutine via run_async."""
    results: list[Any] = []
    failure: list[BaseException] = []

    def thread() -> None:
        try:
            for _ in range(3):
                results.append(broker.run_async(work()))
        except BaseException as exc:  # handed to the test
            failure.append(exc)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join(60)
    assert not failure, failure
    return results


async def test_a_worker_thread_reuses_its_loop_s_connections():
    async def session() -> tuple[Any, bool]:
        if db.is_postgres():
            [row] = await Organisation.raw("SELECT pg_backend_pid() AS pid")
            return row["pid"], db.engine().pool is not None
        return (await Organisation.count()), True

    answers = in_a_worker_thread(session)
    assert all(ok for _value, ok in answers)
    if db.is_postgres():
        # One database session served the three actors one after the other.
        assert len({pid for pid, _ok in answers}) == 1
        # The test's own loop has no pool of the thread's: pools never cross loops.
        assert db.engine().pool is None
