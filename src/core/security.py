"""Security headers on every answer, and fixed-window rate limits kept in the app's store
(memory in the embedded default, Redis when several processes share the work)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.types import Message, Scope

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def _security_headers(hsts: bool, *, store: bool) -> tuple[tuple[bytes, bytes], ...]:
    headers = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if hsts:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    if not store:
        headers["cache-control"] = "no-store"
    return tuple((name.encode(), value.encode()) for name, value in headers.items())


STATIC_PREFIX = "/static/"


def security_headers(hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A before-send hook: every answer carries the security headers, also a 404 or 405 for a
    path no route matches (route middleware never sees those). Nothing but the static files is
    stored by a browser or a proxy (`Cache-Control: no-store`): a signed-in person's pages, API
    answers, CSV and PDF files stay out of shared and back-button caches. A header a handler set
    itself is kept. The answer's headers are read once (not once per header added)."""
    dynamic = _security_headers(hsts, store=False)
    static = _security_headers(hsts, store=True)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            defaults = static if scope.get("path", "").startswith(STATIC_PREFIX) else dynamic
            headers = list(message.get("headers") or ())
            present = {name.lower() for name, _value in headers}
            headers.extend(header for header in defaults if header[0] not in present)
            message["headers"] = headers

    return add_headers


class RateLimiter:
    """At most `limit` hits per key per window; counts live in a Litestar store."""

    def __init__(self, store: Store, limit: int, window_seconds: int = 60, namespace: str = "rl") -> None:
        self.store = store
        self.limit = limit
        self.window = window_seconds
        self.namespace = namespace

    async def hit(self, key: str) -> bool:
        """Count one attempt; False when the key is over its limit for this window."""
        window_start = int(time.time()) // self.window
        store_key = f"{self.namespace}:{key}:{window_start}"
        if isinstance(self.store, RedisStore):
            # Atomic across processes.
            redis = self.store._redis
            full_key = self.store._make_key(store_key)
            count = int(await redis.incr(full_key))
            if count == 1:
                await redis.expire(full_key, self.window + 1)
            return count <= self.limit
        raw = await self.store.get(store_key)
        count = int(raw or b"0") + 1
        await self.store.set(store_key, str(count).encode(), expires_in=self.window + 1)
        return count <= self.limit
