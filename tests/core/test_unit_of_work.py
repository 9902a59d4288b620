"""Work after commit belongs to the unit of work: `db.on_commit` runs once the outermost
transaction has committed, never when it rolls back, once per key; the outbox wakes its relay
that way, so no caller has to."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from src.core import audit, db, outbox
from src.core.tables import AuditEntry, OutboxMessage
from src.core.tenancy import SYSTEM
from tests.workers.conftest import wait_until


async def _write(action: str) -> None:
    await audit.record(SYSTEM, action, organisation_id=None)


async def test_work_runs_after_the_commit_and_sees_what_was_committed() -> None:
    seen: list[int] = []

    async def count_rows() -> None:
        # outside the transaction now: what it counts was committed
        assert db.engine().current_transaction.get() is None
        seen.append(await AuditEntry.count().where(AuditEntry.action == "uow.after"))

    async with db.transaction():
        await _write("uow.after")
        await db.on_commit(count_rows)
        assert seen == []  # not while the transaction is open
    assert seen == [1]


async def test_work_of_a_rolled_back_transaction_never_runs() -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with db.transaction():
            await _write("uow.rolled_back")
            await db.on_commit(lambda: ran.append("mail"))
            raise RuntimeError("changed my mind")
    assert ran == []
    assert await AuditEntry.count().where(AuditEntry.action == "uow.rolled_back") == 0

    # the next unit of work starts with nothing left over from the last one
    async with db.transaction():
        await _write("uow.next")
    assert ran == []


async def test_a_joined_transaction_runs_its_work_when_the_outermost_commits_once_per_key() -> None:
    ran: list[str] = []
    async with db.transaction():
        async with db.transaction():  # a service called by a service joins its transaction
            await _write("uow.joined")
            await db.on_commit(lambda: ran.append("publish"), key="crl-1")
            await db.on_commit(lambda: ran.append("publish again"), key="crl-1")
        assert ran == []  # the inner block's end is no commit
        await db.on_commit(lambda: ran.append("wake"))
    assert ran == ["publish", "wake"]


async def test_work_registered_outside_a_transaction_runs_at_once() -> None:
    ran: list[str] = []
    await db.on_commit(lambda: ran.append("now"))
    assert ran == ["now"]


async def test_a_failing_piece_of_work_neither_undoes_the_commit_nor_stops_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("the broker is away")

    async with db.transaction():
        await _write("uow.failing")
        await db.on_commit(broken)
        await db.on_commit(lambda: ran.append("second"))
    assert ran == ["second"]
    assert await AuditEntry.count().where(AuditEntry.action == "uow.failing") == 1
    assert "work after commit failed" in caplog.text


async def _dispatched(key: str) -> dict | None:
    return (
        await OutboxMessage.select()
        .where(OutboxMessage.dedupe_key == key)
        .where(OutboxMessage.dispatched_at.is_not_null())
        .first()
    )


async def test_the_outbox_relay_is_woken_by_the_commit_not_before_it() -> None:
    """Nobody calls kick(): the row's commit wakes the web process's relay, which relays only
    when woken (the scheduled relay is not running here)."""
    relay = asyncio.create_task(outbox.relay_when_kicked())
    try:
        await wait_until(lambda: outbox._wake is not None, "the relay to wait")
        key = f"uow-mail:{uuid.uuid4()}"
        async with db.transaction():
            await outbox.enqueue("send_mail", {"to": ["eve@example.org"], "subject": "Hi", "body": "Hi"}, key)
            assert outbox._wake is not None and not outbox._wake.is_set()  # still invisible to it
        row = await wait_until(lambda: _dispatched(key), "the relay to hand the committed row over")
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    assert row["attempts"] == 1
