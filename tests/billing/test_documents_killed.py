"""A worker killed (`kill -9`) while it makes an invoice's documents: the outbox hands the
invoice over again, and in the end its documents are stored once and mailed once (004 §1.7)."""

from __future__ import annotations

import signal

import pytest

from src.billing.services import documents, invoicing
from src.billing.tables import InvoiceDocument
from src.core import clock, outbox
from src.core.tables import CaughtAttachment, CaughtMail, OutboxMessage
from tests.billing import dying_renderer
from tests.billing.documents_support import NOW, empty_broker, invoiced, work
from tests.core.outbox_support import queued, time_passes


@pytest.fixture(autouse=True)
def at_the_start_of_february(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    empty_broker()


@pytest.mark.parametrize(("step", "stored_when_killed"), [("mid-render", 0), ("before-done", 2)])
async def test_a_worker_killed_while_making_the_documents_leaves_one_set_and_one_mail(
    step, stored_when_killed
):
    _org, _contact, invoice = await invoiced()
    key = invoicing.render_key(invoice["id"])
    assert await outbox.relay() >= 1
    queued()  # the worker below took the message
    process = dying_renderer.start(key, step, NOW)
    assert process.wait(180) == -signal.SIGKILL

    assert await InvoiceDocument.count() == stored_when_killed
    assert await CaughtMail.count() == 0
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row["done_at"] is None  # the message was lost with the worker

    await time_passes()
    await outbox.sweep_stuck()
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row["dispatched_at"] is None  # handed back to the relay
    assert await work(documents.RENDER_ACTOR) == 1
    assert await work(documents.MAIL_ACTOR) == 1
    assert await work(documents.RENDER_ACTOR) == 0 and await work(documents.MAIL_ACTOR) == 0

    assert await InvoiceDocument.count() == 2
    assert await CaughtMail.count() == 1 and await CaughtAttachment.count() == 2
    done = OutboxMessage.done_at.is_not_null()
    assert await OutboxMessage.count().where(OutboxMessage.dedupe_key.like("invoice-%")).where(done) == 2
