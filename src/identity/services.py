"""Sign-in resolution and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from src.core import audit, db
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor
from src.identity import repository
from src.identity.auth import hash_token
from src.identity.directory import directory
from src.identity.oidc import normalise_identifier
from src.settings import IdentityProvider

TOKEN_PREFIX = "cp_"  # noqa: S105 - a visible prefix, not a secret


@dataclass
class SignInResult:
    person: dict[str, Any] | None = None
    identifier: str = ""
    organisations: list[dict[str, Any]] = field(default_factory=list)
    suspended: list[dict[str, Any]] = field(default_factory=list)

    @property
    def may_enter(self) -> bool:
        return self.person is not None and (bool(self.organisations) or self.person["is_vendor_admin"])


async def memberships_of(person_id: int) -> list[dict[str, Any]]:
    """Active memberships of a person, with their organisation's name and status."""
    return await directory().memberships_of(person_id)


async def invitations_of(person_id: int) -> list[dict[str, Any]]:
    """The invitations a person has not answered yet."""
    return await directory().invitations_of(person_id)


async def accept_invitation(person_id: int, membership_id: int, address: str = "") -> Actor:
    """The person accepts an invitation: the actor they are for its organisation from now on."""
    return await directory().accept_invitation(person_id, membership_id, address)


async def decline_invitation(person_id: int, membership_id: int, address: str = "") -> str:
    """The person declines an invitation: no membership is left. The organisation's name."""
    return await directory().decline_invitation(person_id, membership_id, address)


async def resolve_sign_in(provider: IdentityProvider, claims: dict[str, Any]) -> SignInResult:
    identifier = normalise_identifier(provider.kind, claims.get(provider.claim))
    result = SignInResult(identifier=identifier)
    if not identifier:
        return result
    person = await directory().person_signing_in(provider.kind, identifier)
    if person is None:
        return result
    if provider.staff and not person["is_vendor_admin"]:
        return result
    result.person = person
    for membership in await memberships_of(person["id"]):
        target = result.organisations if membership["organisation_status"] == "active" else result.suspended
        target.append(membership)
    return result


async def record_sign_in(actor: Actor, provider: IdentityProvider) -> None:
    async with db.transaction():
        await audit.record(
            actor,
            "identity.signed_in",
            organisation_id=actor.organisation_id,
            object_type="person",
            object_id=actor.person_id,
            after={"provider": provider.name, "kind": provider.kind, "assurance": provider.assurance},
        )


async def record_sign_out(actor: Actor) -> None:
    async with db.transaction():
        await audit.record(
            actor,
            "identity.signed_out",
            organisation_id=actor.organisation_id,
            object_type="person",
            object_id=actor.person_id,
        )


async def create_token(
    actor: Actor, name: str, organisation_id: int | None = None
) -> tuple[dict[str, Any], str]:
    """A new bearer token acting as `actor`'s person; the secret is returned this once."""
    name = (name or "").strip()
    if len(name) > 100:
        raise InputError({"name": _("Use at most 100 characters.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction():
        row = await repository.insert_token(
            actor,
            organisation_id if organisation_id is not None else actor.organisation_id,
            name or _("API token"),
            secret[:10],
            hash_token(secret),
        )
        await audit.record(
            actor,
            "identity.token_created",
            organisation_id=actor.organisation_id,
            object_type="api_token",
            object_id=row["id"],
            after={"name": row["name"], "prefix": row["prefix"]},
        )
    return row, secret


async def tokens_of(person_id: int) -> list[dict[str, Any]]:
    return await repository.tokens_of(person_id)


async def revoke_token(actor: Actor, token_id: int) -> None:
    async with db.transaction():
        row = await repository.own_token(actor, token_id)
        if row is None:
            raise NotFound()
        if row["revoked_at"] is not None:
            return
        await repository.revoke_own_token(actor, token_id, dt.datetime.now(dt.UTC))
        await audit.record(
            actor,
            "identity.token_revoked",
            organisation_id=actor.organisation_id,
            object_type="api_token",
            object_id=token_id,
            before={"name": row["name"]},
        )
