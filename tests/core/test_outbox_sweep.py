"""The outbox sweeper: a message claimed but never finished is handed over again, a mail is never
sent twice for it, and after too many attempts it is given up on where vendor admins see it.

The relay queues onto the in-process broker here; the tests take the queued messages off it
and run them as the worker would (through the actor's outbox tracking), on the test's loop."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from src.core import db, outbox
from src.core.tables import CaughtMail, OutboxMessage, SentMail
from src.workers import broker as broker_module
from tests import factories
from tests.core.outbox_support import queued, run
from tests.signed_in import sign_in_person
from tests.support import text_of

pytestmark = pytest.mark.usefixtures("empty_broker")


async def queue_mail(subject: str) -> str:
    key = f"test-mail:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue(
            "send_mail", {"to": ["ann@example.org"], "subject": subject, "body": "Hello"}, key
        )
    return key


async def row_of(key: str) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None
    return row


async def claimed_long_ago(key: str, minutes: int = 11) -> None:
    """As if the relay had claimed the row `minutes` ago."""
    await OutboxMessage.update(
        {OutboxMessage.dispatched_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)}
    ).where(OutboxMessage.dedupe_key == key)


async def test_a_row_the_relay_claimed_but_never_queued_is_handed_over_again_and_mailed_once():
    key = await queue_mail("Lost on the way")
    assert await outbox.relay() == 1
    queued()  # the relay died before its message reached the broker
    await claimed_long_ago(key)

    assert await outbox.sweep_stuck() == outbox.SweepResult(released=1, failed=0)
    assert (await row_of(key))["dispatched_at"] is None
    assert await outbox.relay() == 1
    [message] = queued()
    await run(message)

    row = await row_of(key)
    assert row["attempts"] == 2 and row["done_at"] is not None and row["failed_at"] is None
    assert [m["subject"] for m in await CaughtMail.select(CaughtMail.subject)] == ["Lost on the way"]
    # Done rows are left alone however old their claim.
    await claimed_long_ago(key, minutes=60)
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=0, failed=0)


async def test_a_fresh_claim_is_left_alone_and_the_age_is_a_setting(settings_with):
    key = await queue_mail("Still on its way")
    await outbox.relay()
    await claimed_long_ago(key, minutes=5)
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=0, failed=0)
    assert (await row_of(key))["dispatched_at"] is not None

    settings_with(outbox_stale_after=240)
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=1, failed=0)


async def test_a_mail_sent_before_its_row_was_swept_is_not_sent_again():
    """The worker sent the mail but died before marking the row done: the row comes back, the
    actor runs again, and the dedupe key claimed in src.core.mail stops a second mail."""
    key = await queue_mail("Only once")
    await outbox.relay()
    [message] = queued()
    implementation = broker_module.ASYNC_IMPLEMENTATIONS["send_mail"]
    await implementation(**message.kwargs)  # sent; the row is never marked done
    assert (await row_of(key))["done_at"] is None
    await claimed_long_ago(key)

    assert (await outbox.sweep_stuck()).released == 1
    await outbox.relay()
    [again] = queued()
    await run(again)

    assert await CaughtMail.count() == 1
    assert await SentMail.count().where(SentMail.dedupe_key == key) == 1
    assert (await row_of(key))["done_at"] is not None


async def test_a_failed_run_records_its_error_and_moves_the_claim_on(settings_with):
    settings_with(smtp_host="127.0.0.1", smtp_port=_closed_port())
    key = await queue_mail("Server down")
    await outbox.relay()
    [message] = queued()
    await claimed_long_ago(key)
    with pytest.raises(OSError):
        await run(message)

    row = await row_of(key)
    assert "ConnectionRefusedError" in row["last_error"]
    assert row["dispatched_at"] > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    # dramatiq retries it: not yet stuck.
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=0, failed=0)
    assert not await SentMail.exists().where(SentMail.dedupe_key == key)


async def test_after_the_last_attempt_the_row_is_failed_and_shown_to_vendor_admins(client, settings_with):
    settings_with(smtp_host="127.0.0.1", smtp_port=_closed_port(), outbox_max_attempts=2)
    key = await queue_mail("Never arrives")
    for attempt in (1, 2):
        assert await outbox.relay() == 1
        [message] = queued()
        with pytest.raises(OSError):
            await run(message)  # the last dramatiq retry fails, too
        await claimed_long_ago(key)
        expected = (1, 0) if attempt == 1 else (0, 1)  # the second attempt was the last
        assert await outbox.sweep_stuck() == outbox.SweepResult(*expected)

    row = await row_of(key)
    assert row["attempts"] == 2 and row["failed_at"] is not None and row["dispatched_at"] is not None
    assert await outbox.relay() == 0  # given up: never handed over again
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=0, failed=0)

    await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    page = await client.get("/admin/mail")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Failed deliveries" in text
    assert "Never arrives" in text and "ann@example.org" in text
    assert "ConnectionRefusedError" in text
    assert key in text


async def test_failed_deliveries_are_not_shown_to_people_of_organisations(client):
    key = await queue_mail("Secret subject")
    await OutboxMessage.update(
        {OutboxMessage.failed_at: dt.datetime.now(dt.UTC), OutboxMessage.attempts: 5}
    ).where(OutboxMessage.dedupe_key == key)
    org = await factories.organisation()
    contact = await factories.person()
    await factories.member(org, contact, role="contact_person")
    await sign_in_person(client, contact)
    response = await client.get("/admin/mail")
    assert response.status_code == 403
    assert "Secret subject" not in response.text


async def test_a_late_success_clears_the_failure(settings_with):
    key = await queue_mail("Late but fine")
    await outbox.relay()
    [message] = queued()
    await OutboxMessage.update(
        {OutboxMessage.failed_at: dt.datetime.now(dt.UTC), OutboxMessage.last_error: "TimeoutError"}
    ).where(OutboxMessage.dedupe_key == key)
    await run(message)  # a retry dramatiq still held arrives after all
    row = await row_of(key)
    assert row["done_at"] is not None and row["failed_at"] is None and row["last_error"] == ""


async def test_a_broker_that_refuses_the_message_uses_up_no_attempt(monkeypatch):
    key = await queue_mail("Broker down")

    class Refusing:
        def send(self, **_kwargs: Any) -> None:
            raise ConnectionError("broker down")

    monkeypatch.setattr(broker_module, "get_actor", lambda _name: Refusing())
    assert await outbox.relay() == 0
    assert await outbox.relay() == 0
    row = await row_of(key)
    assert row["attempts"] == 0 and row["dispatched_at"] is None


async def test_two_sweeps_at_the_same_moment_release_a_row_once():
    import asyncio

    key = await queue_mail("Raced")
    await outbox.relay()
    queued()
    await claimed_long_ago(key)
    results = await asyncio.gather(outbox.sweep_stuck(), outbox.sweep_stuck())
    assert sum(r.released for r in results) == 1


def _closed_port() -> int:
    from tests.workers.conftest import free_port

    return free_port()
