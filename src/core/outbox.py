"""Side effects after commit: services write an outbox row in their transaction; the relay
hands undelivered rows to dramatiq once the transaction has committed.

A row's life: written (`dispatched_at` empty) -> claimed by the relay and queued (`dispatched_at`
set, `attempts` + 1) -> done when the actor has finished (`done_at`, see
src.workers.broker.async_actor). A failed run of the actor records its error and moves the claim
on, because dramatiq retries it. A claim older than OUTBOX_STALE_AFTER seconds without `done_at`
means the message was lost (a relay died between claiming and queueing, or dramatiq gave up
after its last retry): `sweep_stuck` gives the row back to the relay, or, once it has been handed
over OUTBOX_MAX_ATTEMPTS times, marks it failed for vendor admins to see. Handing a row over
again is safe because every actor is idempotent per dedupe key (mail: src.core.mail.deliver)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from src.core.tables import OutboxMessage
from src.settings import get_settings

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
            # Nothing was handed over, so this was no attempt: a broker that is down for a
            # while must not use up the row's attempts.
            await OutboxMessage.update(
                {OutboxMessage.dispatched_at: None, OutboxMessage.attempts: row["attempts"]}
            ).where(OutboxMessage.id == row["id"])
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def mark_done(actor_name: str, dedupe_key: str) -> None:
    """The actor finished this row's work (a late success also clears an earlier `failed_at`)."""
    await (
        OutboxMessage.update(
            {OutboxMessage.done_at: _now(), OutboxMessage.failed_at: None, OutboxMessage.last_error: ""}
        )
        .where(OutboxMessage.dedupe_key == dedupe_key)
        .where(OutboxMessage.actor_name == actor_name)
        .where(OutboxMessage.done_at.is_null())
    )


ERROR_LENGTH = 1000


async def record_failure(actor_name: str, dedupe_key: str, error: str) -> None:
    """A run of the actor failed: keep the error, and move the claim on, since dramatiq will
    retry it and the sweeper should count the stale age from this sign of life."""
    await (
        OutboxMessage.update(
            {OutboxMessage.dispatched_at: _now(), OutboxMessage.last_error: error[:ERROR_LENGTH]}
        )
        .where(OutboxMessage.dedupe_key == dedupe_key)
        .where(OutboxMessage.actor_name == actor_name)
        .where(OutboxMessage.dispatched_at.is_not_null())
        .where(OutboxMessage.done_at.is_null())
        .where(OutboxMessage.failed_at.is_null())
    )


@dataclass(frozen=True)
class SweepResult:
    released: int
    failed: int


async def sweep_stuck(now: dt.datetime | None = None) -> SweepResult:
    """Give rows claimed longer than OUTBOX_STALE_AFTER ago and not done back to the relay;
    mark those already handed over OUTBOX_MAX_ATTEMPTS times failed instead.

    Each is one conditional UPDATE, so two sweepers at the same moment act on a row once."""
    settings = get_settings()
    now = now or _now()
    cutoff = now - dt.timedelta(seconds=settings.outbox_stale_after)

    def stuck(query: Any) -> Any:
        return (
            query.where(OutboxMessage.dispatched_at.is_not_null())
            .where(OutboxMessage.dispatched_at < cutoff)
            .where(OutboxMessage.done_at.is_null())
            .where(OutboxMessage.failed_at.is_null())
        )

    failed = await stuck(
        OutboxMessage.update({OutboxMessage.failed_at: now}).where(
            OutboxMessage.attempts >= settings.outbox_max_attempts
        )
    ).returning(OutboxMessage.dedupe_key, OutboxMessage.attempts)
    for row in failed:
        log.error("outbox: giving up on %s after %d attempts", row["dedupe_key"], row["attempts"])
    released = await stuck(
        OutboxMessage.update({OutboxMessage.dispatched_at: None}).where(
            OutboxMessage.attempts < settings.outbox_max_attempts
        )
    ).returning(OutboxMessage.dedupe_key)
    for row in released:
        log.warning("outbox: %s was claimed but not done in time; handing it over again", row["dedupe_key"])
    if released:
        kick()
    return SweepResult(released=len(released), failed=len(failed))


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
    """Relay pending rows every `interval` seconds, or at once when `kick()` is called; sweep
    stuck rows every OUTBOX_SWEEP_INTERVAL seconds."""
    global _wake, _wake_loop
    wake = asyncio.Event()
    _wake, _wake_loop = wake, asyncio.get_running_loop()
    next_sweep = time.monotonic()
    try:
        while True:
            if time.monotonic() >= next_sweep:
                try:
                    await sweep_stuck()
                except Exception:
                    log.exception("outbox sweep failed")
                next_sweep = time.monotonic() + get_settings().outbox_sweep_interval
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
