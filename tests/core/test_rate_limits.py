"""Rate limits count in one atomic step on every store (the embedded default's memory, Redis), so
concurrent requests get exactly the limit; the client's address is the connection's own unless a
trusted proxy forwards it (TRUSTED_PROXIES, none by default)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.testing import AsyncTestClient

from src.core.security import CountingMemoryStore, RateLimiter, address_bucket, forwarded_client
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.settings import Settings
from tests import factories
from tests.support import FromAddress, limited_app, running_portal


def _store(limits_redis: str) -> Any:
    if not limits_redis:
        return CountingMemoryStore()
    return RedisStore.with_client(url=limits_redis, namespace="portal").with_namespace("rl")


async def test_concurrent_hits_pass_exactly_the_limit(limits_redis: str) -> None:
    limiter = RateLimiter(_store(limits_redis), limit=20, window_seconds=60, namespace="t")
    waits = await asyncio.gather(*(limiter.hit("one key") for _ in range(100)))
    assert waits.count(0) == 20
    refused = [wait for wait in waits if wait]
    assert len(refused) == 80 and all(1 <= wait <= 60 for wait in refused)
    assert await limiter.hit("another key") == 0


async def test_a_count_ends_a_window_after_its_first_hit_in_memory() -> None:
    store = CountingMemoryStore()
    limiter = RateLimiter(store, limit=1, window_seconds=60, namespace="t")
    assert await limiter.hit("k") == 0
    assert 59 <= await limiter.hit("k") <= 60
    entry = store._store["t:k"]
    store._store["t:k"] = type(entry)(data=entry.data, expires_at=dt.datetime.now(dt.UTC))  # window over
    assert await limiter.hit("k") == 0


async def test_a_count_in_redis_always_expires(redis_url: str) -> None:
    store = RedisStore.with_client(url=redis_url, namespace="portal").with_namespace("rl")
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete("portal_rl:t:k")
        limiter = RateLimiter(store, limit=5, window_seconds=60, namespace="t")
        await limiter.hit("k")
        assert 59_000 <= client.pttl("portal_rl:t:k") <= 60_000
        client.persist("portal_rl:t:k")  # as a count written by a process stopped half-way would be
        await limiter.hit("k")
        assert int(client.get("portal_rl:t:k") or 0) == 2
        assert 0 < client.pttl("portal_rl:t:k") <= 60_000
    finally:
        client.delete("portal_rl:t:k")
        client.close()


def test_a_store_that_cannot_count_atomically_is_refused(tmp_path: Any) -> None:
    for store in (MemoryStore(), FileStore(tmp_path)):
        with pytest.raises(TypeError, match="atomically"):
            RateLimiter(store, limit=5)


def test_an_ipv6_client_is_counted_by_its_network() -> None:
    assert (
        address_bucket("2001:db8:1:2:aaaa::1")
        == address_bucket("2001:db8:1:2:ffff::9")
        == "2001:db8:1:2::/64"
    )
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_bucket("192.0.2.7") == "192.0.2.7"


PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ff::/48"))


def test_x_forwarded_for_is_read_only_from_a_trusted_proxy() -> None:
    # nobody trusted: the header is ignored, whatever it says
    assert forwarded_client("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"
    assert forwarded_client("192.0.2.1", "198.51.100.7", PROXIES) == "192.0.2.1"
    # from a trusted proxy: the right-most address that is not a trusted proxy
    assert forwarded_client("10.0.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.1.1.1", PROXIES) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "2001:db8:1::5, 2001:db8:ff::1", PROXIES) == "2001:db8:1::5"
    # what the client wrote itself, left of its own address, is never believed
    assert forwarded_client("10.0.0.2", "10.9.9.9, 198.51.100.7", PROXIES) == "198.51.100.7"
    # nonsense where an address should be: the proxy's own address
    assert forwarded_client("10.0.0.2", "198.51.100.7, unknown", PROXIES) == "10.0.0.2"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16 ::1"})
    assert settings.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "::1")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: 'proxy\.example'"):
        Settings.from_env({"TRUSTED_PROXIES": "proxy.example"})


_guesses = itertools.count()


async def _api_statuses(app: Any, peer: str, forwarded: list[str]) -> list[int]:
    """Requests with a wrong token each (only the limit per address can refuse them)."""
    async with AsyncTestClient(app=FromAddress(app, peer), base_url="http://testserver.local") as client:
        return [
            (
                await client.get(
                    "/api/v1/me",
                    headers={"Authorization": f"Bearer cp_guess{next(_guesses)}", "X-Forwarded-For": value},
                )
            ).status_code
            for value in forwarded
        ]


async def test_by_default_x_forwarded_for_does_not_change_the_client() -> None:
    app = limited_app("", API_RATE_LIMIT="2")
    statuses = await _api_statuses(app, "127.0.0.1", ["198.51.100.1", "198.51.100.2", "198.51.100.3"])
    assert statuses == [401, 401, 429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit() -> None:
    app = limited_app("", API_RATE_LIMIT="2", TRUSTED_PROXIES="10.0.0.0/8")
    # a client forging addresses left of its own is still the one client
    forged = [f"203.0.113.{i}, 198.51.100.7" for i in range(3)]
    assert await _api_statuses(app, "10.0.0.2", forged) == [401, 401, 429]
    # another client behind the same proxy has a limit of its own
    assert await _api_statuses(app, "10.0.0.2", ["198.51.100.8"]) == [401]
    # a peer that is not a trusted proxy is the client, whatever it forwards
    untrusted = await _api_statuses(app, "192.0.2.1", ["198.51.100.9", "198.51.100.10", "198.51.100.11"])
    assert untrusted == [401, 401, 429]


async def _many_at_once(base: str, requests: list[dict[str, Any]], source: str) -> list[httpx.Response]:
    """The requests sent at once to a real server over 32 parallel connections from the loopback
    address `source`."""
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    transport = httpx.AsyncHTTPTransport(local_address=source, limits=limits)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as client:
        return await asyncio.gather(*(client.get("/api/v1/me", **request) for request in requests))


# Without Redis each web process counts on its own (README, WEB_CONCURRENCY): two processes
# share one limit only through Redis.
@pytest.mark.parametrize(
    ("limits_redis", "workers"),
    [("memory", 1), ("redis", 2)],
    ids=["memory, one process", "redis, two processes"],
    indirect=["limits_redis"],
)
async def test_a_real_server_gives_parallel_connections_exactly_the_api_limit(
    limits_redis: str, workers: int, tmp_path: Path
) -> None:
    org = await factories.organisation()
    user = await factories.member(org)
    actor = await build_actor(user["person"], org["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "script")
    env = {"API_RATE_LIMIT": "20", "REDIS_URL": limits_redis}
    with running_portal(tmp_path / "server.log", env, workers) as base:
        answers = await _many_at_once(
            base, [{"headers": {"Authorization": f"Bearer {secret}"}}] * 100, source="127.0.0.2"
        )
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(200) == 20 and statuses.count(429) == 80
        assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)

        # X-Forwarded-For from 127.0.0.1 is not believed by default: another client, one limit
        guesses = [
            {"headers": {"Authorization": f"Bearer cp_guess{i}", "X-Forwarded-For": f"198.51.100.{i}"}}
            for i in range(100)
        ]
        statuses = [answer.status_code for answer in await _many_at_once(base, guesses, source="127.0.0.1")]
        assert statuses.count(401) == 20 and statuses.count(429) == 80
