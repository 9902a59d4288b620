"""Many writes at once: each waits its turn and succeeds; none fails with "database is locked"."""

from __future__ import annotations

import asyncio

import pytest

from src.core import audit, db
from src.core.tables import AuditEntry
from src.core.tenancy import Actor

WRITERS = 32


async def _write(n: int) -> None:
    async with db.transaction():
        await audit.record(Actor(person_id=n, name=f"Writer {n}"), "test.write", organisation_id=None)
        # Hold the transaction across a few turns of the event loop, as a service does between
        # its queries, so that the others come while it writes.
        for _turn in range(3):
            await asyncio.sleep(0)
        await audit.record(Actor(person_id=n, name=f"Writer {n}"), "test.write", organisation_id=None)


async def test_many_writers_at_once_all_succeed():
    await asyncio.gather(*(_write(n) for n in range(1, WRITERS + 1)))

    assert await AuditEntry.count().where(AuditEntry.action == "test.write") == 2 * WRITERS


@pytest.mark.skipif(db.is_postgres(), reason="the embedded default's turns (PostgreSQL writes side by side)")
async def test_sqlite_writers_take_turns_in_the_order_they_came():
    """Each transaction is written whole before the next begins, first come first served: no
    writer is overtaken again and again while it polls the database file."""
    await asyncio.gather(*(_write(n) for n in range(1, WRITERS + 1)))

    rows = await AuditEntry.select(AuditEntry.actor_person_id).order_by(AuditEntry.id)
    assert [row["actor_person_id"] for row in rows] == [n for n in range(1, WRITERS + 1) for _twice in (1, 2)]
