"""`portal run --workers N`: several web processes on one port, connections spread evenly over
them, a process that dies replaced, all of them stopped together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return sorted(int(child) for child in text.split())


def _web_processes(pid: int) -> list[int]:
    """The supervisor's web processes (multiprocessing also starts a resource tracker)."""
    return [
        child
        for child in _children(pid)
        if b"multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def _wait_until(check, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def _answers(base: str, timeout: float = 2) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


LISTEN = "0A"  # the state of a listening socket in /proc/net/tcp


def _connections_on(port: int) -> dict[int, int]:
    """Socket inode -> the client's port, for every connection to `port` that a process still
    holds open: established, or closed by the client but not yet by the server (CLOSE_WAIT),
    which the supervisor still counts as open."""
    clients: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state != LISTEN and inode and int(local.rsplit(":", 1)[1], 16) == port:
                clients[inode] = int(remote.rsplit(":", 1)[1], 16)
    return clients


def _clients_of(pid: int, port: int) -> set[int]:
    """The client ports of the connections to `port` that process `pid` holds."""
    clients = _connections_on(port)
    held: set[int] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in clients:
            held.add(clients[int(target[8:-1])])
    return held


def _open_and_ask(port: int, n: int) -> list[socket.socket]:
    """n keep-alive connections, each answered once (so each is held by a web process)."""
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
    for c in clients:
        c.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for c in clients:
        assert c.recv(4096).startswith(b"HTTP/1.1 200")
    return clients


def _ready_processes(log: Path) -> int:
    """How many web processes the supervisor has seen become ready (it logs each one)."""
    return log.read_text(errors="replace").count("is ready")


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """The portal on two web processes, both ready and neither ever given a connection."""
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "src.cli", "run", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env={**os.environ, "BASE_URL": f"http://127.0.0.1:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: _ready_processes(log) == 2, seconds=90)
        assert len(_web_processes(server.pid)) == 2
        yield server, base, port
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(60)


def test_a_burst_of_connections_is_shared_evenly_by_the_web_processes(
    two_processes: tuple[subprocess.Popen[bytes], str, int],
) -> None:
    server, _, port = two_processes
    # 32 connections opened at once, as a load balancer or a busy client would: with one shared
    # socket, the process that happened to be idle took nearly all of them; with a socket per
    # process, the kernel's hash often gave one of them 20.
    clients = _open_and_ask(port, 32)
    try:
        per_process = [len(_clients_of(pid, port)) for pid in _web_processes(server.pid)]
    finally:
        for c in clients:
            c.close()
    assert sum(per_process) == 32
    assert max(per_process) - min(per_process) <= 2, per_process


def test_new_connections_go_to_the_process_with_the_fewest_open(
    two_processes: tuple[subprocess.Popen[bytes], str, int],
) -> None:
    server, _, port = two_processes
    first, second = _web_processes(server.pid)
    clients = _open_and_ask(port, 8)
    try:
        held_by_first = _clients_of(first, port)
        assert len(held_by_first) == 4
        # The clients of the first process leave; the second keeps its four.
        for c in clients:
            if c.getsockname()[1] in held_by_first:
                c.close()
        _wait_until(lambda: not _clients_of(first, port))
        newcomers = _open_and_ask(port, 4)
        clients += newcomers
        assert _clients_of(first, port) == {c.getsockname()[1] for c in newcomers}
        assert len(_clients_of(second, port)) == 4
    finally:
        for c in clients:
            c.close()


def test_a_web_process_that_dies_is_replaced_and_the_portal_keeps_answering(
    two_processes: tuple[subprocess.Popen[bytes], str, int],
) -> None:
    server, base, _ = two_processes
    first, second = _web_processes(server.pid)
    os.kill(first, signal.SIGKILL)
    _wait_until(lambda: not _alive(first))
    # New connections (each request below opens one) are never refused: while its replacement
    # starts, the other process takes them.
    for _ in range(10):
        assert _answers(base, timeout=60)

    def replaced() -> list[int] | None:
        now = _web_processes(server.pid)
        return now if len(now) == 2 and first not in now else None

    assert second in _wait_until(replaced, seconds=90)
    for _ in range(20):
        assert _answers(base, timeout=60)


def test_stopping_the_portal_stops_every_web_process(
    two_processes: tuple[subprocess.Popen[bytes], str, int],
) -> None:
    server, base, _ = two_processes
    workers = _web_processes(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(60) == 0
    assert not any(_alive(pid) for pid in workers)
    assert not _answers(base)


def test_a_port_in_use_is_named_in_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "src.cli", "run", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr


def test_web_processes_stop_by_themselves_when_the_supervisor_is_killed(
    two_processes: tuple[subprocess.Popen[bytes], str, int],
) -> None:
    server, base, _ = two_processes
    workers = _web_processes(server.pid)
    server.kill()
    server.wait(10)
    _wait_until(lambda: not any(_alive(pid) for pid in workers), seconds=60)
    assert not _answers(base)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_process_still_starting_is_handed_no_connection_until_it_says_it_is_ready() -> None:
    from src.core.serving import READY, Supervisor, _Worker

    with socket.socket() as listener, socket.create_server(("127.0.0.1", 0)) as peer:
        supervisor = Supervisor(listener, 2)
        ends = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(2)]
        for mine, _ in ends:
            mine.setblocking(False)
        supervisor.workers = [
            _Worker(SimpleNamespace(pid=i), mine, time.monotonic()) for i, (mine, _) in enumerate(ends)
        ]
        starting, ready = (theirs for _, theirs in ends)
        ready.send(READY)
        supervisor._read_reports(1)  # the selector is not involved until the channel closes

        for _ in range(3):
            supervisor.waiting.append(socket.create_connection(peer.getsockname()))
        supervisor._hand_over()
        assert [w.connections for w in supervisor.workers] == [0, 3]
        ready.setblocking(False)
        for _ in range(3):
            _, fds, _, _ = socket.recv_fds(ready, 1, 1)
            os.close(*fds)
        starting.setblocking(False)
        with pytest.raises(BlockingIOError):
            starting.recv(1)

        # Once it is ready, the newcomer (holding none) is handed the next ones.
        starting.send(READY)
        supervisor._read_reports(0)
        supervisor.waiting.append(socket.create_connection(peer.getsockname()))
        supervisor._hand_over()
        assert [w.connections for w in supervisor.workers] == [1, 3]
        for pair in ends:
            for end in pair:
                end.close()
