"""Security headers on every answer, and rate limits counted atomically in the app's store
(memory in the embedded default, Redis when several processes share the work)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Awaitable, Callable

from litestar.exceptions import TooManyRequestsException
from litestar.stores.base import StorageObject, Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp, Message, Receive, Scope, Send

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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address when the connection comes from `peer`. X-Forwarded-For counts only
    when the peer is a trusted proxy: its addresses are read from the right (each proxy appends
    the address it was connected from), trusted proxies are passed over, and the first address
    that is not one is the client. What lies left of it was written by the client itself, so it
    is never believed. An entry met on the way that is not an address leaves the peer as the
    client."""
    if not _within(peer, networks):
        return peer
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        client = hop
        if not _within(hop, networks):
            break
    return client


def trusted_proxies_middleware(trusted: tuple[str, ...]) -> Callable[[ASGIApp], ASGIApp]:
    """The request's client address behind the reverse proxies named in TRUSTED_PROXIES (see
    `forwarded_client`). Installed only when some are named: by default nobody is trusted and
    the address is the connection's own, whatever X-Forwarded-For says."""
    networks = tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if scope["type"] == "http" and client:
                forwarded = b",".join(value for name, value in scope["headers"] if name == b"x-forwarded-for")
                if forwarded:
                    address = forwarded_client(client[0], forwarded.decode("latin-1"), networks)
                    if address != client[0]:
                        scope["client"] = (address, 0)
            await app(scope, receive, send)

        return middleware

    return middleware_factory


def address_bucket(address: str) -> str:
    """What a limit per client address counts: an IPv4 address, or the /64 network of an IPv6
    address (one subscriber's network, where a single host can take any of 2^64 addresses)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class CountingMemoryStore(MemoryStore):
    """The embedded default's store of rate-limit counts: a MemoryStore that also counts in one
    step. The count is read, raised and written without yielding to the event loop, under the
    store's lock, so concurrent requests can never read the same count. It lives in one process:
    several web processes without Redis each count on their own."""

    SWEEP_EVERY = 10_000  # increments between two sweeps of expired counts

    def __init__(self) -> None:
        super().__init__()
        self._since_sweep = 0

    async def increment(self, key: str, window: int) -> tuple[int, float]:
        """Raise the count of `key` by one; a new count expires `window` seconds after its first
        increment. Returns the count and the seconds until it expires."""
        async with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._since_sweep = 0
                self._store = {k: v for k, v in self._store.items() if not v.expired}
            entry = self._store.get(key)
            if entry is None or entry.expired:
                entry = StorageObject.new(data=b"1", expires_in=window)
            else:
                entry = StorageObject(data=str(int(entry.data) + 1).encode(), expires_at=entry.expires_at)
            self._store[key] = entry
            assert entry.expires_at is not None
            return int(entry.data), (entry.expires_at - dt.datetime.now(dt.UTC)).total_seconds()


# One step in Redis, so it holds across processes and hosts; the expiry is set in the same step
# (a process stopped between two commands cannot leave a count that never expires).
_REDIS_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RateLimiter:
    """At most `limit` hits per key in a window of `window_seconds` that starts at the key's first
    hit. Counts live in the app's "rate_limits" store: a CountingMemoryStore (the embedded
    default) or a RedisStore (shared by every process); either counts in one atomic step, so
    concurrent requests get exactly `limit` passes, never more."""

    def __init__(self, store: Store, limit: int, window_seconds: int = 60, namespace: str = "rl") -> None:
        if not isinstance(store, CountingMemoryStore | RedisStore):
            raise TypeError(f"rate limits need a store that counts atomically, not {type(store).__name__}")
        self.store = store
        self.limit = limit
        self.window = window_seconds
        self.namespace = namespace

    async def hit(self, key: str) -> int:
        """Count one attempt. 0 while the key is within its limit; over it, the whole seconds
        until its window ends (what the answer's Retry-After says)."""
        store_key = f"{self.namespace}:{key}"
        if isinstance(self.store, RedisStore):
            count, ttl_ms = await self.store._redis.eval(
                _REDIS_INCREMENT, 1, self.store._make_key(store_key), self.window * 1000
            )
            count, remaining = int(count), int(ttl_ms) / 1000
        else:
            count, remaining = await self.store.increment(store_key, self.window)
        if count <= self.limit:
            return 0
        return max(1, math.ceil(remaining))


def too_many_requests(detail: str, retry_after: int) -> TooManyRequestsException:
    return TooManyRequestsException(detail=detail, headers={"Retry-After": str(retry_after)})
