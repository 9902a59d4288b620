"""Security headers on every answer, and fixed-window rate limits kept in the app's store
(memory in the embedded default, Redis when several processes share the work)."""

from __future__ import annotations

import time

from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def _security_headers(hsts: bool) -> tuple[tuple[bytes, bytes], ...]:
    headers = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if hsts:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return tuple((name.encode(), value.encode()) for name, value in headers.items())


def security_headers_middleware(hsts: bool):
    """Every answer carries the security headers; one a handler set itself is kept. The answer's
    headers are read once (not once per header added)."""
    defaults = _security_headers(hsts)

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers") or ())
                    present = {name.lower() for name, _value in headers}
                    headers.extend(header for header in defaults if header[0] not in present)
                    message["headers"] = headers
                await send(message)

            await app(scope, receive, send_wrapper)

        return middleware

    return middleware_factory


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
