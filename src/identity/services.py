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
from src.identity.auth import hash_token
from src.identity.oidc import normalise_identifier
from src.identity.tables import ApiToken
from src.settings import IdentityProvider
from src.tenants.tables import Membership, Person

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
    return await (
        Membership.select(
            Membership.id,
            Membership.role,
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.status.as_alias("organisation_status"),
        )
        .where(Membership.person == person_id)
        .where(Membership.active.eq(True))
        .order_by(Membership.organisation.name)
    )


async def resolve_sign_in(provider: IdentityProvider, claims: dict[str, Any]) -> SignInResult:
    identifier = normalise_identifier(provider.kind, claims.get(provider.claim))
    result = SignInResult(identifier=identifier)
    if not identifier:
        return result
    column = Person.personal_identity_number if provider.kind == "eid" else Person.card_id
    person = await Person.select().where(column == identifier).where(Person.active.eq(True)).first()
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
        row = (
            await ApiToken.insert(
                ApiToken(
                    person=actor.person_id,
                    organisation=organisation_id if organisation_id is not None else actor.organisation_id,
                    name=name or _("API token"),
                    prefix=secret[:10],
                    token_hash=hash_token(secret),
                )
            ).returning(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at)
        )[0]
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


async def revoke_token(actor: Actor, token_id: int) -> None:
    async with db.transaction():
        row = (
            await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.revoked_at)
            .where(ApiToken.id == token_id)
            .where(ApiToken.person == actor.person_id)
            .first()
        )
        if row is None:
            raise NotFound()
        if row["revoked_at"] is not None:
            return
        await ApiToken.update({ApiToken.revoked_at: dt.datetime.now(dt.UTC)}).where(ApiToken.id == token_id)
        await audit.record(
            actor,
            "identity.token_revoked",
            organisation_id=actor.organisation_id,
            object_type="api_token",
            object_id=token_id,
            before={"name": row["name"]},
        )
