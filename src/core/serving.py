"""Serving the portal with uvicorn, in one process or in several on the same port.

With several processes a small supervisor listens on the port. It accepts each connection and
hands it (its file descriptor, over a Unix socket pair) to the web process that holds the fewest
open connections; each process tells the supervisor when it is ready to serve, and then how many
of the connections it was given have closed. A process that is still starting (at start-up, or
replacing one that died) is handed nothing, so no connection waits seconds for it while another
process is idle. Keep-alive connections therefore spread evenly, whenever and however they arrive.
The hand-off costs the supervisor an accept and a send per connection, not per request.

What was measured before, with 32 keep-alive connections on two processes:
- uvicorn's own `--workers` (all processes accept from one shared socket): whichever process is
  idle when a burst arrives takes it all, 31 of the 32 connections.
- One socket per process with SO_REUSEPORT: the kernel hashes each connection to a socket, so
  one process often held 19 or 20 of the 32, and the slowest answers waited up to twice as long.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import multiprocessing
import selectors
import signal
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn

log = logging.getLogger("portal.serving")

APP = "src.app:create_app"
BACKLOG = 2048  # uvicorn's default
UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "access_log": False,
    "log_level": "info",
    "backlog": BACKLOG,
    # The portal serves no WebSockets; an upgraded connection would also bypass the count of
    # open connections below.
    "ws": "none",
    # The client's address is the connection's; the app believes X-Forwarded-For only from the
    # proxies named in TRUSTED_PROXIES (src/core/security.py). uvicorn's own reading trusts
    # loopback by default.
    "proxy_headers": False,
}
# A process that exits by itself this soon after starting (bad settings, a database that is not
# there) would only exit again, so the whole server stops instead. A process killed by a signal
# (the OOM killer, an operator) is always replaced.
EARLY_EXIT_SECONDS = 10.0
# What a web process reports back: how many of the connections it was given have closed. Its
# first report, sent once it serves, is READY: none closed, since it has been given none.
CLOSED = struct.Struct("!I")
READY = CLOSED.pack(0)


def serve(host: str, port: int, processes: int) -> None:
    if processes == 1:
        uvicorn.run(APP, host=host, port=port, **UVICORN_OPTIONS)
        return
    Supervisor(_listening_socket(host, port), processes).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise SystemExit(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


# --- a web process ----------------------------------------------------------------------------


def _serve_one(channel: socket.socket) -> None:
    HandedConnectionsServer(uvicorn.Config(APP, **UVICORN_OPTIONS), channel).run()


def _reporting_close(protocol_class: Any, closed: Callable[[], None]) -> Any:
    class ReportingClose(protocol_class):
        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            closed()

    return ReportingClose


class HandedConnectionsServer(uvicorn.Server):
    """uvicorn serving the connections the supervisor hands over `channel`, instead of accepting
    from a socket of its own. It stops by itself when the channel closes: the supervisor is gone
    (killed outright, it cannot stop its processes), and it should not serve on unsupervised."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self.closed = 0
        self.connecting: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.should_exit:  # the app's start-up failed; uvicorn exits
            return
        protocol = _reporting_close(self.config.http_protocol_class, self.closed_one)
        self.protocol = functools.partial(
            protocol, config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self.receive)
        try:
            self.channel.send(READY)  # the first message: the channel has room for it
        except OSError:
            pass  # the supervisor is gone; receive() stops this process

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=sockets)

    def receive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(self.channel, 1, 1)
            except BlockingIOError:
                return
            except OSError:
                fds = []
            if not fds:
                log.warning("The supervisor is gone; stopping")
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return
            task = loop.create_task(self.connect(socket.socket(fileno=fds[0])))
            self.connecting.add(task)
            task.add_done_callback(self.connecting.discard)

    async def connect(self, connection: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                self.protocol, connection, ssl=self.config.ssl
            )
        except OSError:
            # Closed by the client before it was served: still one fewer open connection.
            connection.close()
            self.closed_one()

    def closed_one(self) -> None:
        self.closed += 1
        if self.closed == 1:  # else a report is already waiting for room in the channel
            self.report()

    def report(self) -> None:
        try:
            self.channel.send(CLOSED.pack(self.closed))
        except BlockingIOError:
            asyncio.get_running_loop().call_later(0.05, self.report)
            return
        except OSError:
            pass  # the supervisor is gone; receive() stops this process
        self.closed = 0


# --- the supervisor ---------------------------------------------------------------------------


@dataclass
class _Worker:
    process: Any
    channel: socket.socket  # the supervisor's end
    started: float
    connections: int = 0
    reachable: bool = True
    ready: bool = False  # it has said it serves


class Supervisor:
    """Starts the web processes, hands them the connections, restarts a process that dies, and
    stops them all on SIGINT/SIGTERM. Connections that arrive while a process restarts go to the
    others; when no process can take one, it waits, and so does the listening queue behind it."""

    def __init__(self, listener: socket.socket, processes: int) -> None:
        self.listener = listener
        self.context = multiprocessing.get_context("spawn")
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.size = processes
        self.waiting: collections.deque[socket.socket] = collections.deque()
        self.accepting = False
        self.stopping = False

    def _start(self, index: int) -> _Worker:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        mine.setblocking(False)
        process = self.context.Process(target=_serve_one, args=(theirs,), name=f"web-{index}")
        process.start()
        theirs.close()  # so that the channel reads as closed once the process is gone
        self.selector.register(mine, selectors.EVENT_READ, index)
        return _Worker(process, mine, time.monotonic())

    def _replace(self, index: int) -> None:
        old = self.workers[index]
        if old.reachable:
            self.selector.unregister(old.channel)
        old.channel.close()
        self.workers[index] = self._start(index)

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _accepting(self, accept: bool) -> None:
        if accept != self.accepting:
            if accept:
                self.selector.register(self.listener, selectors.EVENT_READ, None)
            else:
                self.selector.unregister(self.listener)
            self.accepting = accept

    def _accept(self) -> None:
        for _ in range(64):
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:  # out of file descriptors, say: try again on the next turn
                log.warning("Cannot accept a connection: %s", exc)
                return
            self.waiting.append(connection)
            self._hand_over()
            if self.waiting:
                return

    def _hand_over(self) -> None:
        while self.waiting:
            connection = self.waiting[0]
            for worker in sorted(self.workers, key=lambda w: w.connections):
                if not (worker.reachable and worker.ready):
                    continue
                try:
                    socket.send_fds(worker.channel, [b"c"], [connection.fileno()])
                except OSError:  # its channel is full, or the process is gone
                    continue
                worker.connections += 1
                break
            else:
                return
            self.waiting.popleft().close()

    def _read_reports(self, index: int) -> None:
        worker = self.workers[index]
        while True:
            try:
                report = worker.channel.recv(CLOSED.size)
            except BlockingIOError:
                return
            except OSError:
                report = b""
            if len(report) != CLOSED.size:  # the process is gone
                self.selector.unregister(worker.channel)
                worker.reachable = False
                return
            if not worker.ready:
                worker.ready = True
                log.info("Web process %s is ready", worker.process.pid)
            worker.connections -= CLOSED.unpack(report)[0]

    def _check_processes(self) -> bool:
        """Replaces processes that died; False when one exited by itself at start-up."""
        for i, worker in enumerate(self.workers):
            if self.stopping or worker.process.is_alive():
                continue
            exitcode = worker.process.exitcode
            early = time.monotonic() - worker.started < EARLY_EXIT_SECONDS
            if exitcode is not None and exitcode >= 0 and early:
                log.error("Web process %s exited at start-up; stopping", worker.process.pid)
                return False
            log.warning("Web process %s exited (%s); starting another", worker.process.pid, exitcode)
            self._replace(i)
        return True

    def run(self) -> None:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        self.workers = [self._start(i) for i in range(self.size)]
        host, port = self.listener.getsockname()[:2]
        log.info("Serving on http://%s:%d with %d processes (Press CTRL+C to quit)", host, port, self.size)
        failed = False
        checked = time.monotonic()
        try:
            while not self.stopping:
                self._accepting(not self.waiting)
                ready = [key.data for key, _ in self.selector.select(0.01 if self.waiting else 0.5)]
                # What closed first, so that new connections go where there is least to do.
                for index in ready:
                    if index is not None:
                        self._read_reports(index)
                self._hand_over()
                if None in ready:
                    self._accept()
                if time.monotonic() - checked >= 0.5:
                    checked = time.monotonic()
                    if not self._check_processes():
                        failed = True
                        break
        finally:
            self.listener.close()
            for connection in self.waiting:
                connection.close()
            for worker in self.workers:
                if worker.process.is_alive():
                    worker.process.terminate()
            for worker in self.workers:
                worker.process.join(30)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join()
                worker.channel.close()
        if failed:
            raise SystemExit(1)
