"""Serving the portal with uvicorn, in one process or in several on the same port.

Several processes share connections through SO_REUSEPORT: each process listens on a socket of
its own, bound to the same address, and the kernel hands each new connection to one of them
by a hash of its addresses, so connections spread evenly. With uvicorn's own `--workers` all
processes accept from one shared socket, and whichever process is idle when a burst of
connections arrives takes them all: under load one process served 31 of 32 keep-alive
connections while the other idled, which tripled the slowest answers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger("portal.serving")

APP = "src.app:create_app"
BACKLOG = 2048  # uvicorn's default
UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "access_log": False,
    "log_level": "info",
    "backlog": BACKLOG,
}
# A process that exits by itself this soon after starting (bad settings, a database that is not
# there) would only exit again, so the whole server stops instead. A process killed by a signal
# (the OOM killer, an operator) is always replaced.
EARLY_EXIT_SECONDS = 10.0


def serve(host: str, port: int, processes: int) -> None:
    import uvicorn

    if processes == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, host=host, port=port, workers=processes, **UVICORN_OPTIONS)
        return
    sockets = [_listening_socket(host, port) for _ in range(processes)]
    Supervisor(sockets).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise SystemExit(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc
    # Listening from the start: connections the kernel hands to a process that is still
    # starting wait in its queue instead of all going to the processes that are up.
    sock.listen(BACKLOG)
    return sock


def _serve_one(sock: socket.socket, supervisor: int) -> None:
    """One web process: uvicorn on its own socket. It stops by itself when the supervisor is
    gone (killed outright, it cannot stop its processes), instead of serving on unsupervised."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(APP, **UVICORN_OPTIONS))

    def watch_supervisor() -> None:
        while not server.should_exit:
            if os.getppid() != supervisor:
                log.warning("The supervisor is gone; stopping")
                server.should_exit = True
            time.sleep(1)

    threading.Thread(target=watch_supervisor, name="watch-supervisor", daemon=True).start()
    server.run(sockets=[sock])


class Supervisor:
    """Starts one process per socket, restarts a process that dies, and stops them all on
    SIGINT/SIGTERM. The sockets stay open here, so connections that arrive while a process
    restarts wait in its queue instead of being refused."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        self.sockets = sockets
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.started: list[float] = []
        self.stopping = False

    def _start(self, index: int) -> Any:
        process = self.context.Process(
            target=_serve_one, args=(self.sockets[index], os.getpid()), name=f"web-{index}"
        )
        process.start()
        return process

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def run(self) -> None:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        self.processes = [self._start(i) for i in range(len(self.sockets))]
        self.started = [time.monotonic()] * len(self.processes)
        log.info("Serving with %d processes", len(self.processes))
        failed = False
        try:
            while not self.stopping:
                time.sleep(0.5)
                for i, process in enumerate(self.processes):
                    if self.stopping or process.is_alive():
                        continue
                    exited_by_itself = process.exitcode is not None and process.exitcode >= 0
                    if exited_by_itself and time.monotonic() - self.started[i] < EARLY_EXIT_SECONDS:
                        log.error("Web process %s exited at start-up; stopping", process.pid)
                        failed = True
                        self.stopping = True
                        break
                    log.warning("Web process %s exited (%s); starting another", process.pid, process.exitcode)
                    self.processes[i] = self._start(i)
                    self.started[i] = time.monotonic()
        finally:
            for process in self.processes:
                if process.is_alive():
                    process.terminate()
            for process in self.processes:
                process.join(30)
                if process.is_alive():
                    process.kill()
                    process.join()
            for sock in self.sockets:
                sock.close()
        if failed:
            raise SystemExit(1)
