"""A mail counts as sent only once the SMTP server accepted it: against a real SMTP server
(aiosmtpd) that refuses, stalls or breaks the connection at each step of a send, the mail's
outbox row is never done before the mail arrived, and it does arrive in the end. A send whose
outcome is unknown (the connection broke, or the server fell silent, after the message was
handed over) is sent again once its claim is older than OUTBOX_STALE_AFTER; every copy carries
the same Message-ID, so mail clients fold the duplicate into one."""

from __future__ import annotations

import asyncio
import email
import smtplib
import socket
import threading
import uuid
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.core import db, mail, outbox
from src.core.tables import OutboxMessage, SentMail
from src.settings import get_settings
from tests.core.outbox_support import queued, run, time_passes
from tests.workers.conftest import free_port

pytestmark = pytest.mark.usefixtures("empty_broker")


class FaultyServer:
    """aiosmtpd that keeps what it receives, and misbehaves at one step while `fault` is set."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.fault: str | None = None
        self.release = threading.Event()  # ends a stalled answer (at the end of the test)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.fault == "451 to RCPT":
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fault == "451 to DATA":
            return "451 4.3.0 Queue full, try again later"
        if self.fault == "554 to DATA":
            return "554 5.6.0 Message refused"
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        if self.fault == "connection closed after DATA":
            server.transport.close()  # the client never reads an answer
        elif self.fault == "no answer to DATA":
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted"


@pytest.fixture
def smtp(settings_with: Any) -> Iterator[FaultyServer]:
    server = FaultyServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    server.port = port  # type: ignore[attr-defined]
    settings_with(
        smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=0.5, mail_from="Portal <portal@zorg.example>"
    )
    yield server
    server.release.set()
    controller.stop()


def silent_port() -> socket.socket:
    """A port that takes connections and never says a word (not even the greeting)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener


async def queue_mail(subject: str) -> str:
    key = f"test-faults:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue(
            "send_mail", {"to": ["ann@example.org"], "subject": subject, "body": "Hello"}, key
        )
    return key


async def row_of(key: str) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None
    return row


async def claim_of(key: str) -> dict[str, Any] | None:
    return await SentMail.select().where(SentMail.dedupe_key == key).first()


# Faults before the server had the message: (fault, what the failed send raises).
CERTAIN = [
    ("connection refused", ConnectionRefusedError),
    ("no greeting", smtplib.SMTPServerDisconnected),
    ("451 to RCPT", smtplib.SMTPRecipientsRefused),
    ("451 to DATA", smtplib.SMTPDataError),
    ("554 to DATA", smtplib.SMTPDataError),
]
# Faults after the message was handed over, before the server answered.
UNKNOWN = ["connection closed after DATA", "no answer to DATA"]


@pytest.mark.parametrize(("fault", "error"), CERTAIN)
async def test_a_send_that_certainly_failed_is_not_done_and_is_sent_on_the_next_try(
    smtp, settings_with, fault, error
):
    listener = None
    if fault == "connection refused":
        settings_with(smtp_port=free_port())  # nothing listens there
    elif fault == "no greeting":
        listener = silent_port()
        settings_with(smtp_port=listener.getsockname()[1])
    else:
        smtp.fault = fault
    key = await queue_mail(f"Invoice ({fault})")
    await outbox.relay()
    [message] = queued()

    with pytest.raises(error):
        await run(message)
    row = await row_of(key)
    assert row["done_at"] is None and error.__name__ in row["last_error"]
    assert smtp.messages == []
    assert await claim_of(key) is None  # nothing was handed over: the claim is given back
    assert await outbox.may_have_been_delivered([key]) == set()

    # The server is well again; dramatiq retries the message.
    smtp.fault = None
    settings_with(smtp_port=smtp.port)
    if listener is not None:
        listener.close()
    await run(message)
    assert [m["Subject"] for m in smtp.messages] == [f"Invoice ({fault})"]
    assert smtp.messages[0]["Message-ID"] == mail.message_id(key, get_settings().mail_from)
    row = await row_of(key)
    assert row["done_at"] is not None and row["last_error"] == ""
    assert (await claim_of(key))["sent_at"] is not None


@pytest.mark.parametrize("fault", UNKNOWN)
async def test_a_send_whose_outcome_is_unknown_is_never_done_and_goes_again_with_the_same_message_id(
    smtp, fault
):
    smtp.fault = fault
    key = await queue_mail(f"Welcome ({fault})")
    await outbox.relay()
    [message] = queued()

    with pytest.raises(mail.MaybeDelivered):
        await run(message)
    assert len(smtp.messages) == 1  # the server had the message, but never said it took it
    row = await row_of(key)
    assert row["done_at"] is None and "MaybeDelivered" in row["last_error"]
    claim = await claim_of(key)
    assert claim is not None and claim["sent_at"] is None
    assert await outbox.may_have_been_delivered([key]) == {key}

    # A retry right away might overlap a run still sending: it waits, and is not done either.
    smtp.fault = None
    with pytest.raises(mail.BeingSent):
        await run(message)
    assert len(smtp.messages) == 1 and (await row_of(key))["done_at"] is None

    # Once the claim is older than OUTBOX_STALE_AFTER, the next try sends the mail again.
    await time_passes()
    await run(message)
    assert [m["Subject"] for m in smtp.messages] == [f"Welcome ({fault})"] * 2
    expected = mail.message_id(key, get_settings().mail_from)
    assert [m["Message-ID"] for m in smtp.messages] == [expected, expected]
    assert expected.endswith("@zorg.example>")
    row = await row_of(key)
    assert row["done_at"] is not None and row["last_error"] == ""
    assert (await claim_of(key))["sent_at"] is not None
    assert await outbox.may_have_been_delivered([key]) == set()

    # Confirmed: a further hand-over sends nothing more.
    await run(message)
    assert len(smtp.messages) == 2


async def test_a_send_that_keeps_failing_ends_failed_and_shown_as_maybe_delivered(smtp, settings_with):
    settings_with(outbox_max_attempts=2)
    smtp.fault = "connection closed after DATA"
    key = await queue_mail("Never confirmed")
    for _attempt in range(2):
        assert await outbox.relay() == 1
        [message] = queued()
        with pytest.raises(mail.MaybeDelivered):
            await run(message)
        await time_passes()
        await outbox.sweep_stuck()
    row = await row_of(key)
    assert row["failed_at"] is not None and row["done_at"] is None
    assert "MaybeDelivered" in row["last_error"]
    assert await outbox.may_have_been_delivered([key]) == {key}
    expected = mail.message_id(key, get_settings().mail_from)
    assert [m["Message-ID"] for m in smtp.messages] == [expected, expected]


def test_the_message_id_is_stable_per_key_and_differs_between_keys():
    one = mail.message_id("invitation:1", "Portal <portal@zorg.example>")
    assert one == mail.message_id("invitation:1", "Portal <portal@zorg.example>")
    assert one != mail.message_id("invitation:2", "Portal <portal@zorg.example>")
    assert one.startswith("<") and one.endswith("@zorg.example>")
