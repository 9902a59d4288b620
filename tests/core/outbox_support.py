"""Driving the outbox in tests: the relay queues onto the in-process broker, and the tests take
the queued messages off it and run them as a worker would (through the actor's outbox tracking),
on the test's loop. The fixtures `empty_broker` and `settings_with` are in tests/core/conftest.py."""

from __future__ import annotations

from typing import Any

from dramatiq import Message

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
