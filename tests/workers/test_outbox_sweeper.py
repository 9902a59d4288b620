"""`portal worker` sweeps stuck outbox rows, against real Redis and a real SMTP server.

A row claimed by a relay that died before queueing it, and a message dramatiq gave up on after
its last retry, are both handed over again; the mail still arrives exactly once. After
OUTBOX_MAX_ATTEMPTS hand-overs a row is marked failed instead."""

from __future__ import annotations

import datetime as dt
import uuid

from src.core import db, outbox
from src.core.tables import OutboxMessage
from tests.workers.conftest import free_port, wait_until

FAST_SWEEP = {"OUTBOX_STALE_AFTER": "3", "OUTBOX_SWEEP_INTERVAL": "0.2"}
FAST_RETRIES = ("--min-backoff", "50", "--max-backoff", "200")


async def queue_mail(subject: str, *, claimed: bool = False) -> str:
    key = f"test-sweep:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue("send_mail", {"to": ["ann@example.org"], "subject": subject, "body": "Hi"}, key)
        if claimed:
            # Claimed by a relay that died before handing the message to Redis.
            await OutboxMessage.update(
                {OutboxMessage.dispatched_at: dt.datetime.now(dt.UTC), OutboxMessage.attempts: 1}
            ).where(OutboxMessage.dedupe_key == key)
    return key


async def row_of(key: str) -> dict:
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None
    return row


async def test_a_row_claimed_by_a_relay_that_died_is_swept_and_delivered_once(start_worker, smtp_sink):
    smtp = smtp_sink()
    subject = f"Claimed {uuid.uuid4().hex[:8]}"
    key = await queue_mail(subject, claimed=True)
    worker = start_worker("--threads", "1", smtp_port=smtp.port, **FAST_SWEEP)

    await wait_until(lambda: smtp.with_subject(subject), lambda: f"the swept mail arriving\n{worker.log}")
    await wait_until(
        lambda: (
            OutboxMessage.exists()
            .where(OutboxMessage.dedupe_key == key)
            .where(OutboxMessage.done_at.is_not_null())
        ),
        lambda: f"the row being marked done\n{worker.log}",
    )
    row = await row_of(key)
    assert row["attempts"] == 2 and row["failed_at"] is None
    assert f"{key} was claimed but not done in time" in worker.log
    assert worker.stop() == 0, worker.log
    assert len(smtp.with_subject(subject)) == 1


async def test_a_message_dramatiq_gave_up_on_is_handed_over_again(start_worker, smtp_sink):
    port = free_port()  # nothing listens here yet
    worker = start_worker("--threads", "1", *FAST_RETRIES, smtp_port=port, **FAST_SWEEP)
    subject = f"Gave up {uuid.uuid4().hex[:8]}"
    key = await queue_mail(subject)

    await wait_until(
        lambda: "Retries exceeded" in worker.log, lambda: f"dramatiq giving up on the mail\n{worker.log}"
    )
    row = await row_of(key)
    assert row["attempts"] == 1 and row["done_at"] is None
    assert "ConnectionRefusedError" in row["last_error"]

    smtp = smtp_sink(port)
    await wait_until(lambda: smtp.with_subject(subject), lambda: f"the mail arriving after all\n{worker.log}")
    await wait_until(
        lambda: (
            OutboxMessage.exists()
            .where(OutboxMessage.dedupe_key == key)
            .where(OutboxMessage.done_at.is_not_null())
        ),
        lambda: f"the row being marked done\n{worker.log}",
    )
    row = await row_of(key)
    assert row["attempts"] == 2 and row["last_error"] == ""
    assert worker.stop() == 0, worker.log
    assert len(smtp.with_subject(subject)) == 1


async def test_after_the_last_attempt_the_row_is_marked_failed_and_left_alone(start_worker):
    worker = start_worker(
        "--threads", "1", *FAST_RETRIES, smtp_port=free_port(), OUTBOX_MAX_ATTEMPTS="1", **FAST_SWEEP
    )
    key = await queue_mail(f"Undeliverable {uuid.uuid4().hex[:8]}")

    await wait_until(
        lambda: (
            OutboxMessage.exists()
            .where(OutboxMessage.dedupe_key == key)
            .where(OutboxMessage.failed_at.is_not_null())
        ),
        lambda: f"the row being marked failed\n{worker.log}",
    )
    row = await row_of(key)
    assert row["attempts"] == 1 and row["done_at"] is None
    assert "ConnectionRefusedError" in row["last_error"]
    # The sweeper logs after its UPDATE has committed: the line may trail the row by a moment.
    await wait_until(
        lambda: f"giving up on {key} after 1 attempts" in worker.log,
        lambda: f"the worker logging that it gave up\n{worker.log}",
    )
    assert worker.stop() == 0, worker.log
    assert (await row_of(key))["attempts"] == 1  # never handed over again
