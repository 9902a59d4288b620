"""Side effects after commit: services write an outbox row in their transaction; the relay
hands undelivered rows to dramatiq once the transaction has committed. `enqueue` registers the
relay's wake-up on the unit of work (`db.on_commit`), so the row goes out as soon as it is
committed, whoever wrote it; the relay's poll only catches up after a restart or a lost wake-up.

A row's life: written (`dispatched_at` empty) -> claimed by the relay and queued (`dispatched_at`
set, `attempts` + 1) -> done when the actor has finished (`done_at`, see
src.workers.broker.async_actor). A failed run of the actor records its error and moves the claim
on, because dramatiq retries it. A claim older than OUTBOX_STALE_AFTER seconds without `done_at`
means the message was lost (a relay died between claiming and queueing, a worker died while
running it, or dramatiq gave up after its last retry): `sweep_stuck` gives the row back to the
relay, or, once it has been handed over OUTBOX_MAX_ATTEMPTS times, marks it failed for vendor
admins to see. Handing a row over again is safe because every actor is idempotent per dedupe
key (mail: src.core.mail.deliver never sends a mail confirmed sent again).

A vendor admin can hand failed rows back to the relay (`retry_failed`): the row starts again as
if just written, with its attempts counted from zero. Its last error stays until a run succeeds
(`mark_done` clears it), so a re-send that fails again still shows why.

Mail and failure: an actor finishes, and its row is done, only once its mail is confirmed sent
(src.core.mail.deliver raises in every other case), so a row is never done for a mail whose
outcome is unknown. A mail claimed and never confirmed (the worker died while sending, or the
connection broke after the message was handed over) is sent again by the next run once the claim
is older than OUTBOX_STALE_AFTER, under the same Message-ID; a younger claim belongs to a run that
may still be sending, and the next run is left to retry. A failed row whose mail holds such an
unconfirmed claim may have been delivered: `may_have_been_delivered` finds these, and the page
warns that sending it again may deliver it twice. A re-send leaves the claims alone: the next run
sends the mail again, or, when it was confirmed sent meanwhile, only marks the row done."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any, cast

from src.core import audit, db
from src.core.errors import Conflict
from src.core.i18n import _
from src.core.tables import OutboxMessage, SentMail
from src.core.tenancy import Actor, require_vendor_admin
from src.settings import get_settings
from src.workers import broker, scheduler
from src.workers import relay as worker_relay

log = logging.getLogger(__name__)


async def enqueue(actor_name: str, payload: dict[str, Any], dedupe_key: str) -> None:
    """Call inside the service's transaction. A second call with the same key is ignored. The
    relay is woken once the transaction has committed (the row is invisible to it before)."""
    existing = await OutboxMessage.exists().where(OutboxMessage.dedupe_key == dedupe_key)
    if existing:
        return
    await db.on_commit(kick, key=kick)
    # ON CONFLICT covers two transactions racing with the same key.
    await OutboxMessage.insert(
        OutboxMessage(actor_name=actor_name, payload=payload, dedupe_key=dedupe_key)
    ).on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")


async def enqueue_many(actor_name: str, messages: list[tuple[dict[str, Any], str]]) -> None:
    """`enqueue` for many messages (payload, dedupe key) of one actor in one INSERT; a key that
    is there already is ignored, as in `enqueue`."""
    if not messages:
        return
    await db.on_commit(kick, key=kick)
    await OutboxMessage.insert(
        *[OutboxMessage(actor_name=actor_name, payload=payload, dedupe_key=key) for payload, key in messages]
    ).on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")


RELAY_BATCH = 100


async def relay(limit: int = RELAY_BATCH) -> int:
    """Send pending rows to their actors; return how many were handed over."""
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
            broker.get_actor(row["actor_name"]).send(**payload, dedupe_key=row["dedupe_key"])
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


@scheduler.every("outbox.relay", seconds=lambda: get_settings().outbox_relay_interval)
async def relay_pending() -> int:
    """Relay until nothing is left waiting (several batches when needed). A scheduled job, every
    OUTBOX_RELAY_INTERVAL seconds; the web process also relays at once when kicked."""
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


@scheduler.every("outbox.sweep", seconds=lambda: get_settings().outbox_sweep_interval)
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


def given_up() -> Any:
    """The condition of a row given up on: failed after its last attempt and never done since."""
    return OutboxMessage.failed_at.is_not_null() & OutboxMessage.done_at.is_null()


def _is_failed(query: Any) -> Any:
    return query.where(given_up())


def unconfirmed_mail() -> Any:
    """The dedupe keys of mail claimed and never confirmed sent: it may or may not have arrived."""
    return SentMail.select(SentMail.dedupe_key).where(SentMail.sent_at.is_null())


async def may_have_been_delivered(dedupe_keys: list[str]) -> set[str]:
    """The keys among these whose mail was claimed and never confirmed: it may have arrived."""
    if not dedupe_keys:
        return set()
    rows = await unconfirmed_mail().where(SentMail.dedupe_key.is_in(dedupe_keys))
    return {r["dedupe_key"] for r in rows}


@dataclass(frozen=True)
class Resent:
    id: int
    actor_name: str
    dedupe_key: str
    may_have_been_delivered: bool


async def retry_failed(actor: Actor, ids: list[int] | None = None) -> list[Resent]:
    """Hand failed rows back to the relay: these `ids`, or every failed row when None.

    Raises Conflict, changing nothing, when one of the `ids` is not failed (done, pending
    or gone) or when there is no failed row at all. Each re-send is audited with the actor
    name and the dedupe key; never the payload, which may hold secrets."""
    require_vendor_admin(actor)
    if ids is not None and not ids:
        raise Conflict(_("Choose a failed delivery to send again."))
    async with db.transaction():
        # The attempts before the reset, for the audit row (RETURNING gives the new values).
        before_query = _is_failed(OutboxMessage.select(OutboxMessage.id, OutboxMessage.attempts))
        if ids is not None:
            before_query = before_query.where(OutboxMessage.id.is_in(list(ids)))
        attempts_before = {r["id"]: r["attempts"] for r in await before_query}
        query = _is_failed(
            OutboxMessage.update(
                {
                    OutboxMessage.failed_at: None,
                    OutboxMessage.dispatched_at: None,
                    OutboxMessage.attempts: 0,
                }
            )
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.is_in(list(ids)))
        rows = await query.returning(OutboxMessage.id, OutboxMessage.actor_name, OutboxMessage.dedupe_key)
        if ids is not None and len(rows) != len(set(ids)):
            # Raising rolls the whole batch back: nothing changes.
            raise Conflict(
                _(
                    "This delivery has not failed (it was delivered, is on its way, or no longer "
                    "exists), so it cannot be sent again. Nothing was changed."
                )
            )
        if not rows:
            raise Conflict(_("There are no failed deliveries to send again."))
        # Unconfirmed claims stay: the next run sends their mail again (see above).
        claimed = await may_have_been_delivered([r["dedupe_key"] for r in rows])
        resent: list[Resent] = []
        for row in sorted(rows, key=lambda r: r["id"]):
            item = Resent(row["id"], row["actor_name"], row["dedupe_key"], row["dedupe_key"] in claimed)
            resent.append(item)
            await audit.record(
                actor,
                "outbox.delivery_resent",
                organisation_id=None,
                object_type="outbox_message",
                object_id=item.id,
                before={"failed": True, "attempts": attempts_before.get(item.id)},
                after={
                    "actor_name": item.actor_name,
                    "dedupe_key": item.dedupe_key,
                    "may_have_been_delivered": item.may_have_been_delivered,
                },
            )
    for item in resent:
        log.warning("outbox: %s (%s) sent again by %s", item.dedupe_key, item.actor_name, actor.label)
    kick()
    return resent


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


async def relay_when_kicked() -> None:
    """Relay pending rows at once whenever `kick()` is called, in this web process.

    The regular relay and the sweep of stuck rows are scheduled jobs (`outbox.relay`,
    `outbox.sweep`), run by the leader of the schedule (src.workers.scheduler); this only spares
    a mail written by a request the wait for the relay's next turn."""
    global _wake, _wake_loop
    wake = asyncio.Event()
    _wake, _wake_loop = wake, asyncio.get_running_loop()
    try:
        while True:
            await wake.wait()
            wake.clear()
            try:
                await relay_pending()
            except Exception:
                log.exception("outbox relay failed")
    finally:
        if _wake is wake:
            _wake, _wake_loop = None, None


# The worker process runs the relay and the sweeper; the broker notes each message's outcome.
worker_relay.register(cast(worker_relay.Outbox, sys.modules[__name__]))
