"""The dramatiq broker: Redis in production, an in-process stub broker in the embedded default.

Import this module before any actor module (src.domains does both in order)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from src.settings import get_settings
from src.workers import loops, relay

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_BACKOFF_MS = 5 * 60 * 1000

_MIDDLEWARE = [
    AgeLimit(),
    TimeLimit(),
    ShutdownNotifications(),
    Callbacks(),
    Pipelines(),
    # The longest wait between two retries stays well below OUTBOX_STALE_AFTER (default ten
    # minutes), so the outbox sweeper does not take a message dramatiq still holds for lost.
    Retries(max_retries=8, max_backoff=MAX_BACKOFF_MS),
]


def _make_broker() -> dramatiq.Broker:
    settings = get_settings()
    if settings.broker_is_redis:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.redis_url, middleware=list(_MIDDLEWARE), namespace="portal")
    return StubBroker(middleware=list(_MIDDLEWARE), fail_fast_default=False)


broker = _make_broker()
dramatiq.set_broker(broker)


ASYNC_IMPLEMENTATIONS: dict[str, Callable[..., Awaitable[Any]]] = {}


def async_actor(actor_name: str, **options: Any) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Declare a dramatiq actor whose body is a coroutine function taking keyword arguments.

    The coroutine stays reachable by name, so tests can run queued work on their own loop.
    A message from the outbox (it carries `dedupe_key`) marks its row done when the actor
    finishes, or records the error when a run fails (src.core.outbox)."""

    def decorate(fn: Callable[..., Awaitable[Any]]) -> Any:
        ASYNC_IMPLEMENTATIONS[actor_name] = fn

        def run(**kwargs: Any) -> Any:
            return run_async(_tracked(actor_name, fn, kwargs))

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return dramatiq.actor(actor_name=actor_name, **options)(run)

    return decorate


async def _tracked(actor_name: str, fn: Callable[..., Awaitable[T]], kwargs: dict[str, Any]) -> T:
    dedupe_key = kwargs.get("dedupe_key")
    if not isinstance(dedupe_key, str) or not dedupe_key:
        return await fn(**kwargs)
    outbox = relay.registered()
    try:
        result = await fn(**kwargs)
    except Exception as exc:
        try:
            await outbox.record_failure(actor_name, dedupe_key, f"{type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not record the failure of %s", dedupe_key)
        raise
    # Should this fail, dramatiq retries the message, and the idempotent actor does nothing twice.
    await outbox.mark_done(actor_name, dedupe_key)
    return result


def get_actor(name: str) -> dramatiq.Actor[Any, Any]:
    """An actor declared by a module src.domains imports."""
    return broker.get_actor(name)


# Actors are plain functions that run our async services. In the embedded default the
# worker lives in the app process and runs them on the app's own event loop (so they
# share its database connections); a separate worker process gives each thread a loop.
_app_loop: asyncio.AbstractEventLoop | None = None
_thread_loops = threading.local()


def attach_app_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _app_loop
    _app_loop = loop


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run an actor's coroutine from a worker thread.

    In a worker process every thread keeps its own event loop, set up once by what registered
    with `loops.on_new_loop` (the database: a small connection pool of that loop's own)."""
    app_loop = _app_loop
    if app_loop is not None and app_loop.is_running():
        if getattr(app_loop, "_thread_id", None) == threading.get_ident():
            coro.close()
            raise RuntimeError("run_async called on the app's own event loop; await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coro, app_loop).result()
    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _thread_loops.loop = loop
        for setup in loops.registered():
            loop.run_until_complete(setup())
    return loop.run_until_complete(coro)


def configure_retries(min_backoff_ms: int | None = None, max_backoff_ms: int | None = None) -> None:
    """Change the back-off of retried messages (milliseconds), e.g. `portal worker --min-backoff`."""
    for middleware in broker.middleware:
        if isinstance(middleware, Retries):
            if min_backoff_ms is not None:
                middleware.min_backoff = min_backoff_ms
            if max_backoff_ms is not None:
                middleware.max_backoff = max_backoff_ms


class InProcessWorker:
    """A dramatiq worker inside the web process, for the embedded default."""

    def __init__(self) -> None:
        self.worker: dramatiq.Worker | None = None

    def start(self) -> None:
        self.worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5000)
            self.worker = None


async def broker_reachable() -> bool:
    """For /ready: the Redis broker answers a ping; the in-process broker is always there."""
    settings = get_settings()
    if not settings.broker_is_redis:
        return True
    import redis.asyncio as aioredis

    client = aioredis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()
