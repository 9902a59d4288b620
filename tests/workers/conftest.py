"""Real servers for the worker tests: Redis (started by `make test`), `portal worker` as a
subprocess, and an aiosmtpd SMTP server on a loopback port."""

from __future__ import annotations

import asyncio
import email
import inspect
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
DEV_REDIS_URL = "redis://127.0.0.1:56379/3"  # the developer's Redis (database letter c)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis: TEST_REDIS_URL from `make test`, else the development Redis if it answers.

    Without either the tests fail (they never skip): the worker must be proven against Redis."""
    url = os.environ.get("TEST_REDIS_URL") or ""
    if not url:
        if not _answers(DEV_REDIS_URL):
            pytest.fail(
                "No Redis for the worker tests: run them with `make test` (it starts Redis and sets "
                f"TEST_REDIS_URL), or set TEST_REDIS_URL, or start a Redis at {DEV_REDIS_URL}."
            )
        url = DEV_REDIS_URL
    if not _answers(url):
        pytest.fail(f"TEST_REDIS_URL={url} does not answer")
    return url


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """No messages left over from an earlier run in the broker's queues, and no schedule's lock
    left by a worker killed in an earlier run."""
    client = redis.Redis.from_url(redis_url)
    try:
        for pattern in ("portal:default*", "portal:__*", "portal:scheduler:*"):
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    finally:
        client.close()
    return redis_url


async def wait_until(
    check: Callable[[], Any | Awaitable[Any]],
    what: str | Callable[[], str],
    within: float = 30.0,
    interval: float = 0.05,
) -> Any:
    """Poll `check` until it answers something truthy; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what() if callable(what) else what}")
        await asyncio.sleep(interval)


class PortalProcess:
    """`uv run portal ARGS` (the worker, run-demo) with the test database, its log kept."""

    def __init__(self, env: dict[str, str], args: list[str]) -> None:
        uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
        command = [uv, "run", "--frozen", "portal", *args]
        if not Path(uv).exists():  # pragma: no cover - uv is how this project runs
            command = [sys.executable, "-m", "src.cli", *args]
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: `kill()` reaches uv's child too
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        """SIGKILL to the process and uv: dead at once, without a chance to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a process manager would send; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(f"portal did not stop on SIGTERM within {timeout}s:\n{self.log}")
        self._reader.join(5)
        return int(self.process.returncode)


@pytest.fixture
def start_worker(clean_redis: str) -> Iterator[Callable[..., PortalProcess]]:
    """Start `portal worker` against the test Redis and the test database (SQLite file from
    SQLITE_PATH, or DATABASE_URL when the suite runs on PostgreSQL)."""
    started: list[PortalProcess] = []

    def start(*args: str, smtp_port: int | None = None, **env: str) -> PortalProcess:
        environment = {k: v for k, v in os.environ.items() if k not in ("SMTP_HOST", "SMTP_PORT")}
        environment.update(REDIS_URL=clean_redis, PYTHONUNBUFFERED="1", **env)
        if smtp_port is not None:
            environment.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port))
        worker = PortalProcess(environment, ["worker", "--relay-interval", "0.1", *args])
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a loopback port that keeps what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[Message] = []
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, ready_timeout=5, server_hostname="localhost"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def with_subject(self, subject: str) -> list[Message]:
        return [m for m in self.messages if m["Subject"] == subject]

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_sink() -> Iterator[Callable[..., SmtpSink]]:
    sinks: list[SmtpSink] = []

    def make(port: int | None = None) -> SmtpSink:
        sink = SmtpSink(port).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()
