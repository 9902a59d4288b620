"""A worker killed (`kill -9`) at each step of sending a mail never loses it: the outbox row is
not done before the mail was confirmed sent, the sweeper hands the row over again, and the mail
arrives: once when the kill came before the server had it, twice with the same Message-ID when
the server may have had it, and once when the send was confirmed before the kill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.core import db, mail, outbox
from src.core.tables import OutboxMessage, SentMail
from tests.core import dying_worker
from tests.core.outbox_support import queued, run, time_passes
from tests.workers.conftest import free_port

pytestmark = pytest.mark.usefixtures("empty_broker")

MAIL_FROM = "Portal <portal@zorg.example>"


@pytest.fixture
def smtp_server(settings_with: Any) -> Iterator[Any]:
    controllers: list[Controller] = []

    def start(hold_at: str | None = None) -> dying_worker.HoldingServer:
        server = dying_worker.HoldingServer(hold_at)
        port = free_port()
        controller = Controller(server, hostname="127.0.0.1", port=port, ready_timeout=5)
        controller.start()
        controllers.append(controller)
        server.port = port  # type: ignore[attr-defined]
        settings_with(smtp_host="127.0.0.1", smtp_port=port, mail_from=MAIL_FROM)
        return server

    yield start
    for controller in controllers:
        controller.stop()


# (where the worker dies, is its mail claimed unconfirmed / confirmed / not at all, copies at the
# server when it dies, copies in the end)
STEPS = [
    ("before-claim", None, 0, 1),
    ("before-connect", "claimed", 0, 1),
    ("RCPT", "claimed", 0, 1),
    ("DATA", "claimed", 1, 2),  # the server has the message; its "250" never reaches the worker
    ("before-confirm", "claimed", 1, 2),  # the server answered "250"
    ("before-done", "confirmed", 1, 1),
    ("after-done", "confirmed", 1, 1),
]


@pytest.mark.parametrize(("step", "claim", "copies_at_kill", "copies_in_the_end"), STEPS)
async def test_a_worker_killed_while_sending_never_loses_the_mail(
    smtp_server, step, claim, copies_at_kill, copies_in_the_end
):
    held = step in ("RCPT", "DATA")
    server = smtp_server(step if held else None)
    key = f"invitation:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue(
            "send_mail", {"to": ["ann@example.org"], "subject": "Welcome", "body": "Hi"}, key
        )
    assert await outbox.relay() == 1
    queued()  # this worker took the message
    dying_worker.killed(dying_worker.start(key, "none" if held else step, server.port, MAIL_FROM), server)

    assert len(server.messages) == copies_at_kill
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert (row["done_at"] is not None) == (step == "after-done")
    record = await SentMail.select().where(SentMail.dedupe_key == key).first()
    state = None if record is None else "confirmed" if record["sent_at"] else "claimed"
    assert state == claim

    await time_passes()
    swept = await outbox.sweep_stuck()
    if step == "after-done":
        assert swept.released == 0 and await outbox.relay() == 0
    else:
        assert swept.released == 1 and await outbox.relay() == 1
        [message] = queued()
        await run(message)
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row["done_at"] is not None and row["failed_at"] is None
    assert (await SentMail.select(SentMail.sent_at).where(SentMail.dedupe_key == key).first())["sent_at"]
    assert [m["Subject"] for m in server.messages] == ["Welcome"] * copies_in_the_end
    assert {m["Message-ID"] for m in server.messages} == {mail.message_id(key, MAIL_FROM)}
