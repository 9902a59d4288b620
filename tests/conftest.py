"""Test set-up: a fresh database (SQLite file, or PostgreSQL when DATABASE_URL is set by
`make test`), migrated once; every test starts from empty tables.

Under pytest-xdist (`-n N`) every worker process has its own of everything: its folder for the
SQLite file and the var/ files, its PostgreSQL database (DATABASE_URL's name plus `_gw0`,
`_gw1`, ..., made afresh here), its Redis database (TEST_REDIS_URL's number plus the worker's
index), and its free ports."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under pytest-xdist


def _own_postgres_database(url: str) -> str:
    """DATABASE_URL with this worker's database, dropped and created empty."""
    import asyncpg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{WORKER}"

    async def recreate() -> None:
        server = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await server.execute(f'CREATE DATABASE "{name}"')
        finally:
            await server.close()

    asyncio.run(recreate())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _own_redis_database(url: str) -> str:
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0) + int(re.sub(r"\D", "", WORKER))
    return urlunsplit(parts._replace(path=f"/{number}"))


if WORKER:
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = _own_postgres_database(os.environ["DATABASE_URL"])
    if os.environ.get("TEST_REDIS_URL"):
        os.environ["TEST_REDIS_URL"] = _own_redis_database(os.environ["TEST_REDIS_URL"])

_tmp = Path(tempfile.mkdtemp(prefix=f"portal-tests-{WORKER}-" if WORKER else "portal-tests-"))
os.environ["PORTAL_VAR_DIR"] = str(_tmp)
os.environ["SQLITE_PATH"] = str(_tmp / "test.sqlite3")
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production-0123456789"
os.environ["PICCOLO_CONF"] = "piccolo_conf"
os.environ.pop("REDIS_URL", None)
os.environ.pop("SMTP_HOST", None)
os.environ.setdefault("BASE_URL", "http://testserver.local")

import pytest  # noqa: E402
from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from tests import oidc_support  # noqa: E402,F401  (sets OIDC_PROVIDERS before the app reads settings)
from tests.support import PortalClient, portal_app, truncate_all  # noqa: E402
from tests.workers.conftest import redis_url  # noqa: E402,F401  (the one test Redis, for every directory)


@pytest.fixture(scope="session", autouse=True)
async def _migrated() -> None:
    import src.domains  # noqa: F401 - every actor and event handler, as the app and the worker load them
    from src.cli import migrate_all

    await migrate_all()


@pytest.fixture(autouse=True)
async def _clean_tables(_migrated: None) -> None:
    await truncate_all()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """A test that builds an app with other settings does not leak them into the next test."""
    from src.settings import override_settings

    yield
    override_settings(None)


@pytest.fixture
def app() -> Litestar:
    return portal_app()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[PortalClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        yield PortalClient(raw)


@pytest.fixture(params=["memory", "redis"])
def limits_redis(request: pytest.FixtureRequest) -> str:
    """Where rate limits are counted: "" for the embedded default's memory store, else the URL of
    the test Redis, its rate-limit counts emptied first."""
    if request.param == "memory":
        return ""
    import redis

    url = str(request.getfixturevalue("redis_url"))
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match="portal_rl:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
    return url
