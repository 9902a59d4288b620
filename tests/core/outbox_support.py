"""Driving the outbox in tests: the relay queues onto the in-process broker, and the tests take
the queued messages off it and run them as a worker would (through the actor's outbox tracking),
on the test's loop. The fixtures `empty_broker` and `settings_with` are in tests/core/conftest.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dramatiq import Message

from src.core.tables import OutboxMessage, SentMail
from src.workers import broker as broker_module


def queued() -> list[Message[Any]]:
    """Take every message the relay queued off the in-process broker."""
    messages = []
    for name in list(broker_module.broker.queues):
        queue = broker_module.broker.queues[name]
        while not queue.empty():
            messages.append(Message.decode(queue.get_nowait()))
    return messages


async def run(message: Message[Any]) -> None:
    """What a worker thread does with a message: the actor, with the outbox row tracked."""
    implementation = broker_module.ASYNC_IMPLEMENTATIONS[message.actor_name]
    await broker_module._tracked(message.actor_name, implementation, dict(message.kwargs))


async def time_passes(minutes: int = 11) -> None:
    """As if `minutes` had passed (longer than OUTBOX_STALE_AFTER by default): every claim of
    an outbox row and of a mail is that much older."""
    for column in (OutboxMessage.dispatched_at, SentMail.at):
        table = column._meta.table
        rows = await table.select(table.id, column).where(column.is_not_null())
        for row in rows:
            earlier = row[column._meta.name] - dt.timedelta(minutes=minutes)
            await table.update({column: earlier}).where(table.id == row["id"])
