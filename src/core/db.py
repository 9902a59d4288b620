"""Database engine selection and the unit of work.

The embedded default is an SQLite file under var/ (WAL, immediate transactions for
writes); production and the second test run use PostgreSQL from DATABASE_URL with a
connection pool started in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from src.settings import Settings, get_settings
from src.workers import loops

# Seconds a write waits for another process's write to finish before it fails ("database is
# locked"). Within one process writes take turns without polling (below).
SQLITE_BUSY_TIMEOUT = 60

log = logging.getLogger(__name__)


def make_engine(settings: Settings | None = None) -> Engine[Any]:
    settings = settings or get_settings()
    if settings.uses_postgres:
        url = urlparse(settings.database_url)
        config: dict[str, Any] = {
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "user": unquote(url.username or ""),
            "password": unquote(url.password or ""),
            "database": (url.path or "/").lstrip("/"),
        }
        return PoolPerLoop(config=config, log_queries=False)
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    _enable_wal(str(settings.sqlite_path))
    return SQLiteEngine(
        path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT, factory=_SQLiteConnection
    )


class PoolPerLoop(PostgresEngine):
    """piccolo's PostgreSQL engine with a connection pool per event loop. An asyncpg pool
    belongs to the loop that made it; the web process has one loop, but a worker process runs
    a loop per thread, and each gets a small pool of its own (`start_pool` on that loop)
    instead of a new connection, with its TLS attempt and authentication, for every query."""

    @property
    def pool(self) -> Any:
        pools = self.__dict__.get("_pools")
        loop = _running_loop()
        return pools.get(loop) if pools is not None and loop is not None else None

    @pool.setter
    def pool(self, value: Any) -> None:
        pools = self.__dict__.setdefault("_pools", weakref.WeakKeyDictionary())
        loop = _running_loop()
        if loop is None:
            if value is not None:
                raise RuntimeError("a connection pool is started on a running event loop")
            return  # the engine's own __init__
        if value is None:
            pools.pop(loop, None)
        else:
            pools[loop] = value


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class _SQLiteConnection(sqlite3.Connection):
    """Every SQLite connection of the portal knows `casefold(text)`: SQLite's LIKE and lower()
    ignore case for ASCII letters only, so "örebro" would not find "Örebro"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.create_function("casefold", 1, _casefold, deterministic=True)


def contains_pattern(text: str) -> str:
    """The LIKE pattern for "contains `text`": its % and _ are characters, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_ignoring_case(column: str) -> str:
    """SQL for "column contains the pattern, whatever the case", with one `{}` for the LIKE
    pattern (ESCAPE '\\'): ILIKE on PostgreSQL, both sides case-folded on SQLite."""
    if is_postgres():
        return f"{column} ILIKE {{}} ESCAPE '\\'"
    return f"casefold({column}) LIKE casefold({{}}) ESCAPE '\\'"


def _enable_wal(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def engine() -> Engine[Any]:
    db = engine_finder()
    if db is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("piccolo_conf.py defines no DB")
    return db


def transaction() -> AbstractAsyncContextManager[Any]:
    """The unit of work for services: one write transaction, nested calls join it. Work
    registered with `on_commit` inside it runs once the outermost one has committed."""
    db = engine()
    if db.current_transaction.get() is not None:
        return _joined(db)
    return _unit_of_work(db)


AfterCommit = Callable[[], Awaitable[object] | object]

# The work waiting for the current unit of work to commit, by key (one run per key).
_after_commit: ContextVar[dict[Hashable, AfterCommit] | None] = ContextVar("after_commit", default=None)


async def on_commit(callback: AfterCommit, key: Hashable | None = None) -> None:
    """Run `callback` (a function, or a coroutine function) once the current unit of work has
    committed, and never when it rolls back. Registered twice under one key, it runs once:
    five revocations of one transaction publish the CRL once. Outside a unit of work the write
    has already committed, so it runs now. A failing callback is logged, never raised: what it
    follows has committed, and each one has its own way to catch up (the outbox relay's poll,
    the CRL renewed when fetched)."""
    pending = _after_commit.get()
    if engine().current_transaction.get() is None:
        await _run_after_commit([callback])
        return
    if pending is None:
        raise RuntimeError("work after commit needs a transaction opened by db.transaction()")
    pending.setdefault(key if key is not None else object(), callback)


async def _run_after_commit(callbacks: Iterable[AfterCommit]) -> None:
    for callback in callbacks:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("work after commit failed: %r", callback)


@contextlib.asynccontextmanager
async def _unit_of_work(db: Engine[Any]) -> AsyncIterator[Any]:
    pending: dict[Hashable, AfterCommit] = {}
    token = _after_commit.set(pending)
    try:
        if isinstance(db, SQLiteEngine):
            async with _write_turn(), db.transaction(transaction_type=TransactionType.immediate) as own:
                yield own
        else:
            async with db.transaction() as own:
                yield own
    finally:
        _after_commit.reset(token)
    # Reached only when the transaction committed (an exception skips it).
    await _run_after_commit(list(pending.values()))


@contextlib.asynccontextmanager
async def _joined(db: Engine[Any]) -> AsyncIterator[Any]:
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate) as joined:
            yield joined
    else:
        async with db.transaction() as joined:
            yield joined


# SQLite lets one writer in at a time. Writers of one process wait their turn here, first come
# first served, instead of each polling the database file (SQLite's busy handler retries at
# growing intervals, so under many writers one could wait many times longer than its turn).
# The busy timeout still covers writers of other processes (the CLI, a second web process).
_write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _write_turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    turn = _write_turns.get(loop)
    if turn is None:
        turn = _write_turns[loop] = asyncio.Lock()
    return turn


def is_unique_violation(exc: BaseException) -> bool:
    """The database refused a row because a unique constraint already holds its value."""
    import sqlite3

    from asyncpg.exceptions import UniqueViolationError

    return isinstance(exc, sqlite3.IntegrityError | UniqueViolationError) and (
        not isinstance(exc, sqlite3.IntegrityError) or "UNIQUE" in str(exc)
    )


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def _keep_session(connection: Any) -> None:
    """Returned to the pool as it is. asyncpg rolls back an unfinished transaction first; its
    default reset (one more round trip per query: unlock advisory locks, close cursors, UNLISTEN,
    RESET ALL) has nothing to undo here, because the portal changes no session state: advisory
    locks are transaction-level, and there are no LISTENs, cursors or session-level SETs."""


async def start_pool(min_size: int = 2, max_size: int = 20) -> None:
    """The connection pool of the running event loop (PostgreSQL; SQLite needs none)."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)


async def _worker_thread_pool() -> None:
    # A worker thread runs one actor at a time; a few connections cover what one gathers.
    await start_pool(min_size=1, max_size=4)


loops.on_new_loop(_worker_thread_pool)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


async def ping() -> bool:
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:
        return False
    return True
