"""Side effects after commit: services write an outbox row in their transaction; the relay
hands undelivered rows to dramatiq once the transaction has committed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from src.core.tables import OutboxMessage

log = logging.getLogger(__name__)


async def enqueue(actor_name: str, payload: dict[str, Any], dedupe_key: str) -> None:
    """Call inside the service's transaction. A second call with the same key is ignored."""
    existing = await OutboxMessage.exists().where(OutboxMessage.dedupe_key == dedupe_key)
    if existing:
        return
    await OutboxMessage.insert(OutboxMessage(actor_name=actor_name, payload=payload, dedupe_key=dedupe_key))


async def relay(limit: int = 100) -> int:
    """Send pending rows to their actors; return how many were handed over."""
    from src.workers.broker import get_actor

    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.dispatched_at.is_null())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    sent = 0
    for row in rows:
        # Claim the row first so two relays never hand over the same message.
        claimed = (
            await OutboxMessage.update(
                {
                    OutboxMessage.dispatched_at: dt.datetime.now(dt.UTC),
                    OutboxMessage.attempts: row["attempts"] + 1,
                }
            )
            .where(OutboxMessage.id == row["id"])
            .where(OutboxMessage.dispatched_at.is_null())
            .returning(OutboxMessage.id)
        )
        if not claimed:
            continue
        actor = get_actor(row["actor_name"])
        payload = row["payload"]
        if isinstance(payload, str):
            import json

            payload = json.loads(payload)
        try:
            actor.send(**payload, dedupe_key=row["dedupe_key"])
        except Exception:
            log.exception("outbox relay could not queue %s", row["dedupe_key"])
            await OutboxMessage.update({OutboxMessage.dispatched_at: None}).where(
                OutboxMessage.id == row["id"]
            )
            continue
        sent += 1
    return sent


_wake: asyncio.Event | None = None


def kick() -> None:
    """Wake the relay now (call after a transaction that wrote outbox rows has committed)."""
    if _wake is not None:
        _wake.set()


async def relay_forever(interval: float = 2.0) -> None:
    global _wake
    _wake = asyncio.Event()
    while True:
        try:
            await relay()
        except Exception:
            log.exception("outbox relay failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wake.wait(), timeout=interval)
        _wake.clear()
