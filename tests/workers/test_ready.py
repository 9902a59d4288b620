"""/ready: the database and the broker answer (rule: the Redis broker is checked for real)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar.testing import AsyncTestClient

from src.settings import Settings, get_settings, override_settings
from tests.workers.conftest import free_port


@asynccontextmanager
async def app_with_redis(url: str) -> AsyncIterator[AsyncTestClient]:
    from src.app import create_app

    previous = get_settings()
    settings = dataclasses.replace(Settings.from_env(dict(os.environ)), redis_url=url)
    try:
        async with AsyncTestClient(app=create_app(settings, run_worker=False, start_pool=False)) as client:
            yield client
    finally:
        override_settings(previous)


async def test_ready_answers_503_when_the_broker_cannot_be_reached():
    async with app_with_redis(f"redis://127.0.0.1:{free_port()}/0") as client:
        answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": True, "broker": False}


async def test_ready_answers_200_when_redis_answers(redis_url: str):
    async with app_with_redis(redis_url) as client:
        answer = await client.get("/ready")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": True, "broker": True}
