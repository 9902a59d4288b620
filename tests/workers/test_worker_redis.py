"""`portal worker` against real servers: Redis as the broker, aiosmtpd as the mail server.

A side effect is written to the outbox in the service's transaction; the worker's relay hands
it to dramatiq over Redis; the actor sends it, once, however often it is handed over."""

from __future__ import annotations

import uuid
from typing import Any

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from src.core import db, outbox
from src.core.tables import CaughtMail, OutboxMessage, SentMail
from tests.workers.conftest import free_port, wait_until


async def queue_mail(subject: str, to: str = "ann@example.org") -> str:
    key = f"test-mail:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue("send_mail", {"to": [to], "subject": subject, "body": f"Body of {subject}"}, key)
    return key


def send_directly(redis_url: str, **kwargs: Any) -> None:
    """Put a send_mail message on the Redis queue ourselves, as a second worker's retry would."""
    broker = RedisBroker(url=redis_url, namespace="portal", middleware=[])
    try:
        broker.declare_queue("default")
        broker.enqueue(
            Message(queue_name="default", actor_name="send_mail", args=(), kwargs=kwargs, options={})
        )
    finally:
        broker.close()


async def test_the_worker_relays_the_outbox_over_redis_and_delivers_the_mail(start_worker):
    worker = start_worker("--threads", "2")
    subject = f"Welcome {uuid.uuid4().hex[:8]}"
    key = await queue_mail(subject)

    caught = await wait_until(
        lambda: CaughtMail.select().where(CaughtMail.subject == subject).first(),
        lambda: f"the worker delivering {subject!r}\n{worker.log}",
    )
    assert caught["recipients"] == "ann@example.org"
    assert caught["body"] == f"Body of {subject}"
    assert await SentMail.exists().where(SentMail.dedupe_key == key)
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row["dispatched_at"] is not None and row["attempts"] == 1
    assert worker.stop() == 0, worker.log  # SIGTERM stops it cleanly
    assert "worker stopped" in worker.log


async def test_a_mail_relayed_twice_arrives_over_smtp_exactly_once(start_worker, smtp_sink, clean_redis):
    smtp = smtp_sink()
    # One actor thread: messages are handled in the order they were queued.
    worker = start_worker("--threads", "1", smtp_port=smtp.port)
    subject = f"Invitation {uuid.uuid4().hex[:8]}"
    key = await queue_mail(subject, to="bob@example.org")
    await wait_until(lambda: smtp.with_subject(subject), lambda: f"the mail reaching SMTP\n{worker.log}")

    # The same row handed over again (a relay that crashed before recording it) and the
    # same message queued once more (the actor running twice).
    await OutboxMessage.update({OutboxMessage.dispatched_at: None}).where(OutboxMessage.dedupe_key == key)
    send_directly(
        clean_redis, to=["bob@example.org"], subject=subject, body=f"Body of {subject}", dedupe_key=key
    )
    await wait_until(
        lambda: (
            OutboxMessage.exists().where(OutboxMessage.dedupe_key == key).where(OutboxMessage.attempts == 2)
        ),
        "the relay handing the row over a second time",
    )
    # A later mail: once it has arrived, the worker has handled everything queued before it.
    later = f"Later {uuid.uuid4().hex[:8]}"
    await queue_mail(later)
    await wait_until(lambda: smtp.with_subject(later), lambda: f"the later mail reaching SMTP\n{worker.log}")

    received = smtp.with_subject(subject)
    assert len(received) == 1
    assert received[0]["To"] == "bob@example.org"
    assert received[0].get_payload().strip() == f"Body of {subject}"
    assert await SentMail.count().where(SentMail.dedupe_key == key) == 1
    assert await CaughtMail.count() == 0  # with SMTP configured nothing is caught
    assert worker.stop() == 0, worker.log


async def test_a_mail_that_fails_while_smtp_is_down_is_retried_and_delivered_once_it_is_up(
    start_worker, smtp_sink
):
    port = free_port()  # nothing listens here yet
    worker = start_worker("--threads", "1", "--min-backoff", "100", "--max-backoff", "1000", smtp_port=port)
    subject = f"Retry {uuid.uuid4().hex[:8]}"
    key = await queue_mail(subject)

    await wait_until(
        lambda: "Retrying message" in worker.log, lambda: f"a failed delivery being retried\n{worker.log}"
    )
    # The failed attempt left no "sent" record, so the retry will send.
    assert not await SentMail.exists().where(SentMail.dedupe_key == key)

    smtp = smtp_sink(port)
    await wait_until(
        lambda: smtp.with_subject(subject), lambda: f"the retried mail reaching SMTP\n{worker.log}"
    )
    assert await SentMail.exists().where(SentMail.dedupe_key == key)
    assert worker.stop() == 0, worker.log
    assert len(smtp.with_subject(subject)) == 1
