"""Test set-up: a fresh database (SQLite file, or PostgreSQL when DATABASE_URL is set by
`make test`), migrated once; every test starts from empty tables."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="portal-tests-"))
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
from tests.support import PortalClient, truncate_all  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
async def _migrated() -> None:
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
    from src.app import create_app
    from src.settings import Settings

    return create_app(Settings.from_env(dict(os.environ)), run_worker=False, start_pool=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[PortalClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        yield PortalClient(raw)
