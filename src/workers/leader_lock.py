"""The lock that makes one process at a time the schedule's leader (src/workers/scheduler.py):
a PostgreSQL session advisory lock, a Redis lock with a lease, or a file lock of the embedded
default; `leader_lock` picks the one for the settings."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import Any, Protocol

from src.settings import Settings

# The schedule's log, as before the locks had a module of their own.
log = logging.getLogger("src.workers.scheduler")


class LeaderLock(Protocol):
    description: str

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits for it."""
        ...

    async def keep(self) -> bool:
        """Still held? (Renews a lease.) False once it is lost."""
        ...

    async def release(self) -> None: ...


# A fixed 64-bit key of the advisory lock, the same in every process of one database.
ADVISORY_KEY = zlib.crc32(b"portal.scheduler.leader")


class PostgresAdvisoryLock:
    """A session advisory lock on a connection of its own: freed by the server when the
    connection closes, however the process ended. Should the leader's host vanish without
    closing it, the server's TCP keepalives on this connection find it gone within about `ttl`
    seconds."""

    def __init__(self, database_url: str, ttl: float) -> None:
        self.database_url = database_url
        self.ttl = ttl
        self.description = "PostgreSQL advisory lock"
        self.connection: Any = None

    async def acquire(self) -> bool:
        import asyncpg

        if self.connection is None or self.connection.is_closed():
            probe = max(1, int(self.ttl / 6))
            self.connection = await asyncpg.connect(
                self.database_url,
                timeout=10,
                server_settings={
                    "tcp_keepalives_idle": str(max(1, int(self.ttl / 3))),
                    "tcp_keepalives_interval": str(probe),
                    "tcp_keepalives_count": "3",
                },
            )
        if await self.connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY):
            return True
        return False

    async def keep(self) -> bool:
        if self.connection is None or self.connection.is_closed():
            return False
        try:
            return bool(
                await self.connection.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objid = $1",
                    ADVISORY_KEY,
                    timeout=self.ttl / 3,
                )
            )
        except Exception:
            log.exception("the schedule's lock connection failed")
            return False

    async def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.execute("SELECT pg_advisory_unlock_all()")
            await connection.close(timeout=5)


class RedisLock:
    """redis-py's lock (a random token, compare-and-set scripts) with a lease of `ttl` seconds
    that the leader renews; it expires when its holder stops renewing it."""

    KEY = "portal:scheduler:leader"

    def __init__(self, redis_url: str, ttl: float) -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
        self.lock = self.client.lock(self.KEY, timeout=ttl, blocking=False, thread_local=False)
        self.description = "Redis lock"

    async def acquire(self) -> bool:
        return bool(await self.lock.acquire(blocking=False))

    async def keep(self) -> bool:
        try:
            await self.lock.reacquire()
        except Exception as exc:
            log.warning("the schedule's Redis lock is lost: %s", exc)
            return False
        return True

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self.lock.release()

    async def close(self) -> None:
        await self.client.aclose()


class FileLock:
    """An exclusive lock on a file (flock): one process at a time, freed by the kernel when the
    process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file lock {path}"
        self.fd: int | None = None

    async def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    async def keep(self) -> bool:
        return self.fd is not None

    async def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)  # closing frees the lock


def leader_lock(settings: Settings) -> LeaderLock:
    """PostgreSQL's advisory lock when the database is PostgreSQL, else a Redis lock when Redis
    is the broker, else a file lock of the embedded default."""
    if settings.uses_postgres:
        return PostgresAdvisoryLock(settings.database_url, settings.scheduler_lock_ttl)
    if settings.broker_is_redis:
        return RedisLock(settings.redis_url, settings.scheduler_lock_ttl)
    return FileLock(settings.var_dir / "scheduler.lock")
