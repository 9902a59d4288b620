"""Serving the portal with uvicorn: one process, or `processes` of uvicorn's own workers on one
port. uvicorn's parent process starts them, replaces one that dies, and on SIGINT/SIGTERM stops
them all, each after the app's shut-down. Each worker runs the app's lifespan of its own (the
database pool; on the embedded default the in-process worker and the outbox relay).

Several processes share the listening socket, and the one that accepts first takes a new
connection: keep-alive connections need not spread evenly over them. Spread over processes and
hosts is a reverse proxy's job (README: nginx `least_conn`, HAProxy `leastconn`)."""

from __future__ import annotations

from typing import Any

import uvicorn

APP = "src.app:create_app"
UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "access_log": False,
    "log_level": "info",
    # The portal serves no WebSockets.
    "ws": "none",
    # The client's address is the connection's; the app believes X-Forwarded-For only from the
    # proxies named in TRUSTED_PROXIES (src/core/security.py). uvicorn's own reading trusts
    # loopback by default.
    "proxy_headers": False,
}


def serve(host: str, port: int, processes: int) -> None:
    uvicorn.run(APP, host=host, port=port, workers=processes, **UVICORN_OPTIONS)
