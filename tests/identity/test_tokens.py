"""API bearer tokens: stored hashed, acting as their person, rate-limited."""

from __future__ import annotations

import asyncio
import hashlib
import os

from litestar.testing import AsyncTestClient

from src.app import create_app
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.identity.tables import ApiToken
from src.settings import Settings
from tests import factories
from tests.support import limited_app


async def _token_for_member() -> str:
    org = await factories.organisation()
    user = await factories.member(org)
    actor = await build_actor(user["person"], org["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "script")
    return secret


async def test_a_token_is_stored_only_as_its_hash():
    secret = await _token_for_member()
    stored = await ApiToken.select().first()
    assert stored is not None
    assert secret not in str(stored.values())
    assert stored["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()


async def test_an_unknown_token_is_refused_with_a_problem_answer(client):
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer cp_not-a-real-token"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_token_use_is_rate_limited():
    secret = await _token_for_member()
    app = create_app(
        Settings.from_env({**os.environ, "API_RATE_LIMIT": "5"}), run_worker=False, start_pool=False
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        headers = {"Authorization": f"Bearer {secret}"}
        statuses = [(await client.get("/api/v1/me", headers=headers)).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]


async def test_guessing_tokens_from_one_address_is_rate_limited():
    app = create_app(
        Settings.from_env({**os.environ, "API_RATE_LIMIT": "5"}), run_worker=False, start_pool=False
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        statuses = [
            (await client.get("/api/v1/me", headers={"Authorization": f"Bearer cp_guess{i}"})).status_code
            for i in range(7)
        ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]


async def test_concurrent_api_calls_get_exactly_the_limit(limits_redis):
    secret = await _token_for_member()
    app = limited_app(limits_redis, API_RATE_LIMIT="20")
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "nl"}
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        answers = await asyncio.gather(*(client.get("/api/v1/me", headers=headers) for _ in range(100)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 20
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) == 80
    for answer in refused:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        assert answer.json()["detail"] == "Te veel verzoeken. Probeer het over een minuut opnieuw."
