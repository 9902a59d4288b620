"""`portal run`: serves a migrated database only, with `--workers N` web processes of the
server's own, each with the app's start-up and shut-down (lifespan) of its own, all stopped
together. Linux only: which process holds a connection is read from /proc."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until(check: Callable[[], T], seconds: float = 90.0, what: str = "") -> T:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.1)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _pids_logged(log: Path, what: str) -> set[int]:
    """The web processes that logged "Web process <pid> <what>" (the app's lifespan does)."""
    return {int(pid) for pid in re.findall(rf"Web process (\d+) {what}", log.read_text(errors="replace"))}


def _holder(port: int, client: socket.socket) -> int | None:
    """The process that holds the server's end of `client`'s connection to `port`."""
    wanted = client.getsockname()[1]
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.rsplit(":", 1)[1], 16) == port and int(remote.rsplit(":", 1)[1], 16) == wanted:
            inodes.add(f"socket:[{inode}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:
            continue
    return None


def _ask_for_a_page(port: int) -> socket.socket:
    """A keep-alive connection that has been served the sign-in page (a page rendered from
    templates, with the session and CSRF middleware), left open so its server end stays held."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(b"GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = client.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return client


def _start(log: Path, port: int, *args: str, **env: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "src.cli", "run", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, "BASE_URL": f"http://127.0.0.1:{port}", **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, int, set[int]]]:
    """`portal run --workers 2` with both web processes started (each has logged so)."""
    port = _free_port()
    log = tmp_path / "server.log"
    server = _start(log, port, "--workers", "2")
    try:

        def started() -> set[int]:
            assert server.poll() is None, log.read_text(errors="replace")
            return pids if len(pids := _pids_logged(log, "ready")) == 2 else set()

        yield server, log, port, _wait_until(started, what="two web processes")
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as an operator stops it: uvicorn's workers outlive a parent killed outright."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_two_web_processes_serve_pages_and_stop_cleanly_on_sigterm(
    two_processes: tuple[subprocess.Popen[bytes], Path, int, set[int]],
) -> None:
    server, log, port, workers = two_processes
    assert server.pid not in workers
    # Connections are opened (and kept open) until each process has served a page on one.
    clients: list[socket.socket] = []
    served_by: set[int] = set()
    try:

        def both_served() -> bool:
            clients.append(_ask_for_a_page(port))
            served_by.add(_wait_until(lambda: _holder(port, clients[-1]), 10, "the connection's holder"))
            return served_by == workers

        _wait_until(both_served, what=f"pages from both processes, so far {served_by}")
    finally:
        for client in clients:
            client.close()

    server.send_signal(signal.SIGTERM)
    assert server.wait(60) == 0, log.read_text(errors="replace")
    # Each process ran the app's shut-down (the database pool closed, the in-process worker
    # stopped) before it ended, as uvicorn reports it, and nothing answers any more.
    said = log.read_text(errors="replace")
    assert said.count("Application shutdown complete.") == 2, said
    assert {int(pid) for pid in re.findall(r"Finished server process \[(\d+)\]", said)} == workers, said
    assert not any(_alive(pid) for pid in workers)
    assert not _answers(f"http://127.0.0.1:{port}")


def test_a_web_process_that_dies_is_replaced_and_the_portal_keeps_answering(
    two_processes: tuple[subprocess.Popen[bytes], Path, int, set[int]],
) -> None:
    _, log, port, workers = two_processes
    killed, kept = sorted(workers)
    os.kill(killed, signal.SIGKILL)
    _wait_until(lambda: not _alive(killed), what="the killed process to end")
    replacement = _wait_until(lambda: _pids_logged(log, "ready") - workers, what="a replacement process")
    assert _alive(kept) and all(_alive(pid) for pid in replacement)
    for _ in range(10):
        _ask_for_a_page(port).close()


def test_a_port_in_use_is_named_in_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _start(tmp_path / "server.log", port, "--workers", "2")
        try:
            server.wait(120)
        finally:
            _stop(server)
    said = (tmp_path / "server.log").read_text(errors="replace")
    assert server.returncode != 0
    assert str(port) in said and "in use" in said, said


@pytest.fixture
def unmigrated_database() -> Iterator[dict[str, str]]:
    """Settings naming an empty database of the kind the tests run on: a new SQLite file, or a
    new PostgreSQL database on the tests' server (dropped afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        yield {"SQLITE_PATH": str(Path(os.environ["PORTAL_VAR_DIR"]) / f"empty-{uuid.uuid4().hex}.sqlite3")}
        return
    import asyncio

    name = f"portal_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        parts = urlsplit(url)
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def test_run_refuses_a_database_that_is_not_migrated_and_names_the_command_that_migrates(
    unmigrated_database: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    server = _start(tmp_path / "server.log", port, **unmigrated_database)
    try:
        server.wait(120)
    finally:
        _stop(server)
    said = (tmp_path / "server.log").read_text(errors="replace")
    assert server.returncode == 1, said
    assert "The database is not up to date" in said and "portal migrate" in said, said
    assert not _answers(f"http://127.0.0.1:{port}")
