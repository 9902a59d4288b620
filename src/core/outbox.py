"""Side effects after commit: services write an outbox row in their transaction; the relay
hands undelivered rows to dramatiq once the transaction has committed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from typing import Any

from src.core.tables import OutboxMessage

log = logging.getLogger(__name__)


async def enqueue(actor_name: str, payload: dict[str, Any], dedupe_key: str) -> None:
    """Call inside the service's transaction. A second call with the same key is ignored."""
    existing = await OutboxMessage.exists().where(OutboxMessage.dedupe_key == dedupe_key)
    if existing:
        return
    # ON CONFLICT covers two transactions racing with the same key.
    await OutboxMessage.insert(
        OutboxMessage(actor_name=actor_name, payload=payload, dedupe_key=dedupe_key)
    ).on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")


RELAY_BATCH = 100


async def relay(limit: int = RELAY_BATCH) -> int:
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
        payload = row["payload"]
        try:
            if isinstance(payload, str):
                payload = json.loads(payload)
            get_actor(row["actor_name"]).send(**payload, dedupe_key=row["dedupe_key"])
        except Exception:
            log.exception("outbox relay could not queue %s", row["dedupe_key"])
            await OutboxMessage.update({OutboxMessage.dispatched_at: None}).where(
                OutboxMessage.id == row["id"]
            )
            continue
        sent += 1
    return sent


async def relay_pending() -> int:
    """Relay until nothing is left waiting (several batches when needed)."""
    total = 0
    while True:
        sent = await relay()
        total += sent
        if sent < RELAY_BATCH:
            return total


_wake: asyncio.Event | None = None
_wake_loop: asyncio.AbstractEventLoop | None = None


def kick() -> None:
    """Wake the relay now (call after a transaction that wrote outbox rows has committed).

    Safe from any thread: the relay may run on another event loop than the caller's (the
    web app's loop under a test client, or a worker's own loop)."""
    wake, loop = _wake, _wake_loop
    if wake is None or loop is None or loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        wake.set()
    else:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(wake.set)


async def relay_forever(interval: float = 2.0) -> None:
    """Relay pending rows every `interval` seconds, or at once when `kick()` is called."""
    global _wake, _wake_loop
    wake = asyncio.Event()
    _wake, _wake_loop = wake, asyncio.get_running_loop()
    try:
        while True:
            try:
                await relay_pending()
            except Exception:
                log.exception("outbox relay failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=interval)
            wake.clear()
    finally:
        if _wake is wake:
            _wake, _wake_loop = None, None
