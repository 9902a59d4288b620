"""Helpers the tests share: a client that speaks CSRF, table truncation, running queued work."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient


async def truncate_all() -> None:
    from piccolo.conf.apps import Finder

    from src.core.db import is_postgres

    tables = Finder().get_table_classes()
    if is_postgres():
        names = ", ".join(t._meta.tablename for t in tables)
        await tables[0].raw(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        # Children before parents, so foreign keys never object.
        for table in reversed(_sorted_by_dependency(tables)):
            await table.raw(f"DELETE FROM {table._meta.tablename}")
        await tables[0].raw("DELETE FROM sqlite_sequence") if await _has_sequence(tables[0]) else None


async def _has_sequence(table: Any) -> bool:
    rows = await table.raw("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
    return bool(rows)


def _sorted_by_dependency(tables: list[Any]) -> list[Any]:
    from piccolo.table import sort_table_classes

    return sort_table_classes(tables)


class PortalClient:
    """The Litestar test client plus the CSRF token a browser would send."""

    def __init__(self, raw: AsyncTestClient[Any]) -> None:
        self.raw = raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    async def csrf(self) -> str:
        token = self.raw.cookies.get("portal_csrf")
        if not token:
            await self.raw.get("/health")
            await self.raw.get("/signin")
            token = self.raw.cookies.get("portal_csrf")
        assert token, "no CSRF cookie was set"
        return token

    async def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        token = await self.csrf()
        form = dict(data or {})
        form["_csrf_token"] = token
        return await self.raw.post(url, data=form, **kwargs)

    async def htmx(self, method: str, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        headers = {"HX-Request": "true", "x-csrftoken": await self.csrf(), **kwargs.pop("headers", {})}
        return await self.raw.request(method, url, data=data, headers=headers, **kwargs)


class FromAddress:
    """The app as reached from one client address (the test client always says "testclient")."""

    def __init__(self, app: Any, address: str) -> None:
        self.app = app
        self.address = address

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (self.address, 50000)}
        await self.app(scope, receive, send)


def limited_app(redis_url: str, **env: str) -> Litestar:
    """The app with its rate limits counted where `limits_redis` says, and settings from `env`."""
    from src.app import create_app
    from src.settings import Settings

    settings = Settings.from_env({**os.environ, "REDIS_URL": redis_url, **env})
    return create_app(settings, run_worker=False, start_pool=False)


@contextlib.contextmanager
def running_portal(log: Path, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """`portal run` as a process of its own on a free loopback port, on the test database, with
    its web processes all ready; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "src.cli", "run", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "BASE_URL": base, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        # what the app's lifespan logs in each web process once it serves
        while len(set(re.findall(r"Web process (\d+) ready", log.read_text(errors="replace")))) < workers:
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the portal did not start: " + log.read_text(errors="replace")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed, for asserting what a person reads."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
    return re.sub(r"\s+", " ", without_tags).strip()


# Static files and the OpenAPI viewer hold no data and take no input; the tests' own sign-in
# (tests/signed_in.py) is no route of the portal.
SKIP_PATHS = ("/static", "/schema", "/tests/")


class RouteRequest(NamedTuple):
    method: str
    path: str
    query: tuple[str, ...]  # the query parameters its handler reads
    body: str | None  # the body its handler takes: "json", "form", or None when it declares none
    data_type: Any = None  # the type of that body, as its handler declares it


def route_requests(app: Litestar, ints: list[str], strings: list[str]) -> list[tuple[str, str]]:
    """(method, path) for every handler of the app's route table (so a new route is walked
    without touching a test), with each combination of `ints` in its integer path parameters
    and of `strings` in its other ones."""
    return [(r.method, r.path) for r in route_table(app, ints, strings)]


def route_table(app: Litestar, ints: list[str], strings: list[str]) -> list[RouteRequest]:
    """As route_requests, with what each handler reads besides its path: the names of its query
    parameters and the kind of body it takes, both from its signature."""
    out: list[RouteRequest] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIP_PATHS):
            continue
        params = (
            list(route.path_parameters.values())
            if isinstance(route.path_parameters, dict)
            else list(route.path_parameters)
        )
        choices = [ints if param.type is int else strings for param in params]
        for combo in itertools.product(*choices):
            path = route.path_format
            for param, value in zip(params, combo, strict=True):
                path = path.replace("{" + param.name + "}", value)
            for method, (handler, kwargs_model) in route.route_handler_map.items():
                if method in ("OPTIONS", "HEAD"):
                    continue
                query = tuple(sorted(p.field_alias for p in kwargs_model.expected_query_params))
                data = handler.parsed_fn_signature.parameters.get("data")
                body = None
                data_type = None
                if data is not None:
                    data_type = data.annotation
                    takes = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
                    body = "json" if takes == RequestEncodingType.JSON else "form"
                out.append(RouteRequest(method, path, query, body, data_type))
    return out


def vendor_today() -> dt.date:
    """Today as the portal counts it: in the vendor's time zone (Europe/Amsterdam), not the
    machine's. Past 23:00 UTC in winter the two differ by a day."""
    from src.core.i18n import timezone_for

    return dt.datetime.now(timezone_for(None)).date()
