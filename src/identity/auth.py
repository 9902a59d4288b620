"""Who is making this request: a signed-in session or an API bearer token.

Every request re-checks that the person, the membership and the organisation are still
active, so suspending an organisation or deactivating a user takes effect at once."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from src.core.i18n import _
from src.core.security import RateLimiter, address_bucket, too_many_requests
from src.core.tenancy import Actor
from src.identity import repository
from src.identity.directory import directory
from src.settings import get_settings

SESSION_PERSON = "person_id"
SESSION_ORGANISATION = "organisation_id"
SESSION_SIGNED_IN_AT = "signed_in_at"
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client else ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def build_actor(
    person_id: int, organisation_id: int | None, address: str, via_token: bool = False
) -> Actor | None:
    """The actor for a person acting for an organisation (one query in the usual case), or for
    a vendor admin acting for none; None when any of them is no longer active."""
    if organisation_id is not None:
        row = await directory().member_actor(person_id, organisation_id)
        if row is not None and row["person_active"] and row["organisation_status"] == "active":
            return Actor(
                person_id=person_id,
                name=row["name"],
                is_vendor_admin=row["is_vendor_admin"],
                organisation_id=organisation_id,
                membership_id=row["id"],
                role=row["role"],
                client_address=address,
                locale=row["locale"],
                via_token=via_token,
                organisation_name=row["organisation_name"],
                organisation_country=row["organisation_country"],
            )
    person = await directory().person_actor(person_id)
    if person is None or not person["is_vendor_admin"]:
        return None
    return Actor(
        person_id=person["id"],
        name=person["name"],
        is_vendor_admin=True,
        client_address=address,
        locale=person["locale"],
        via_token=via_token,
    )


async def actor_from_session(request: Request[Any, Any, Any]) -> Actor | None:
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return None
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        return None
    signed_in_at = session.get(SESSION_SIGNED_IN_AT, 0)
    now = dt.datetime.now(dt.UTC).timestamp()
    if now - float(signed_in_at) > get_settings().session_max_age:
        request.clear_session()
        return None
    organisation_id = session.get(SESSION_ORGANISATION)
    actor = await build_actor(int(person_id), organisation_id, client_address(request))
    if actor is None and organisation_id is not None:
        # The person, the membership or the organisation is no longer active.
        request.clear_session()
    return actor


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def limit_token_use(request: Request[Any, Any, Any], token_hash: str) -> None:
    """Count a call with this token, and one from the caller's address (guessing tokens from
    one address): 429 past the limit per minute. Every kind of bearer token counts here alike
    (a person's API token, a connected service's token)."""
    address = client_address(request)
    limiter = RateLimiter(request.app.stores.get("rate_limits"), get_settings().api_rate_limit, 60, "api")
    wait = await limiter.hit(token_hash[:16]) or await limiter.hit(f"ip:{address_bucket(address)}")
    if wait:
        raise too_many_requests(_("Too many requests. Try again in a minute."), wait)


async def actor_from_token(request: Request[Any, Any, Any]) -> Actor | None:
    token = bearer_token(request)
    if token is None:
        return None
    address = client_address(request)
    token_hash = hash_token(token)
    await limit_token_use(request, token_hash)
    row = await repository.token_by_hash(token_hash)
    if row is None:
        return None
    organisation_id = row["organisation"]
    if organisation_id is None:
        memberships = await directory().organisations_of(row["person"], 2)
        if len(memberships) == 1:
            organisation_id = memberships[0]["organisation"]
    now = dt.datetime.now(dt.UTC)
    last_used = row["last_used_at"]
    if last_used is None or now - last_used.replace(tzinfo=last_used.tzinfo or dt.UTC) > LAST_USED_PRECISION:
        # Kept to the minute: a write on every API call would cost more than it tells.
        await repository.note_token_used(row["id"], now)
    return await build_actor(row["person"], organisation_id, address, via_token=True)


async def current_actor(request: Request[Any, Any, Any]) -> Actor | None:
    state = request.scope.setdefault("state", {})
    if "actor" in state:
        return state["actor"]
    if request.url.path.startswith("/api/"):
        actor = await actor_from_token(request)
    else:
        actor = await actor_from_session(request)
    state["actor"] = actor
    return actor


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency for every route that needs someone signed in."""
    actor = await current_actor(request)
    if actor is None:
        raise NotAuthorizedException(detail=_("Sign in to continue."))
    return actor
