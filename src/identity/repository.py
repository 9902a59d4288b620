"""Every query of the identity domain's tables: API tokens.

A token belongs to its person, whatever organisation it acts for: every read is bound to the
person (the actor's own tokens), and the one read without an actor is the look-up of a presented
token by its digest, which is how the actor of an API call is found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core.prepared import Prepared
from src.core.tenancy import Actor
from src.identity.tables import ApiToken

# Asked on every API call: prepared once (src/core/prepared.py).
_TOKEN = Prepared(
    lambda p: (
        ApiToken.select(ApiToken.id, ApiToken.person, ApiToken.organisation, ApiToken.last_used_at)
        .where(ApiToken.token_hash == p.token_hash)
        .where(ApiToken.revoked_at.is_null())
    )
)


async def token_by_hash(token_hash: str) -> dict[str, Any] | None:
    """The unrevoked token with this digest (the bearer of the secret acts as its person)."""
    return await _TOKEN.first(token_hash=token_hash)


async def note_token_used(token_id: int, now: dt.datetime) -> None:
    await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id)


async def insert_token(
    actor: Actor, organisation_id: int | None, name: str, prefix: str, token_hash: str
) -> dict[str, Any]:
    """A new token of the actor's person, acting for `organisation_id`."""
    return (
        await ApiToken.insert(
            ApiToken(
                person=actor.person_id,
                organisation=organisation_id,
                name=name,
                prefix=prefix,
                token_hash=token_hash,
            )
        ).returning(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at)
    )[0]


async def tokens_of(person_id: int) -> list[dict[str, Any]]:
    return await (
        ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.person == person_id)
        .order_by(ApiToken.id, ascending=False)
    )


async def own_token(actor: Actor, token_id: int) -> dict[str, Any] | None:
    """One of the actor's person's tokens."""
    return (
        await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.revoked_at)
        .where(ApiToken.id == token_id)
        .where(ApiToken.person == actor.person_id)
        .first()
    )


async def revoke_own_token(actor: Actor, token_id: int, now: dt.datetime) -> None:
    await (
        ApiToken.update({ApiToken.revoked_at: now})
        .where(ApiToken.id == token_id)
        .where(ApiToken.person == actor.person_id)
    )
