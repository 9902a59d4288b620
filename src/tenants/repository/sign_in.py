"""The reads an actor is built from, and a person's organisations at sign-in, registered with
the identity domain (src/identity/directory.py, from src/tenants/handlers.py).

No actor exists yet when these run: each read is bound to the person signing in or acting
(by the session or an API token), across the organisations they are a user of, never wider."""

from __future__ import annotations

from typing import Any

from src.core.prepared import Prepared
from src.tenants.tables import Membership, Person

# Asked on every request: prepared once (src/core/prepared.py).
_MEMBER_ACTOR = Prepared(
    lambda p: (
        Membership.select(
            Membership.id,
            Membership.role,
            Membership.name,
            Membership.organisation.status.as_alias("organisation_status"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.country.as_alias("organisation_country"),
            Membership.person.name.as_alias("person_name"),
            Membership.person.is_vendor_admin.as_alias("is_vendor_admin"),
            Membership.person.locale.as_alias("locale"),
            Membership.person.active.as_alias("person_active"),
        )
        .where(Membership.person == p.person)
        .where(Membership.organisation == p.organisation)
        .where(Membership.active.eq(True))
    )
)
_PERSON_ACTOR = Prepared(
    lambda p: (
        Person.select(Person.id, Person.name, Person.is_vendor_admin, Person.locale)
        .where(Person.id == p.person)
        .where(Person.active.eq(True))
    )
)
_ORGANISATIONS = Prepared(
    lambda p: (
        Membership.select(Membership.organisation)
        .where(Membership.person == p.person)
        .where(Membership.active.eq(True))
    )
)


async def member_actor(person_id: int, organisation_id: int) -> dict[str, Any] | None:
    return await _MEMBER_ACTOR.first(person=person_id, organisation=organisation_id)


async def person_actor(person_id: int) -> dict[str, Any] | None:
    return await _PERSON_ACTOR.first(person=person_id)


async def organisations_of(person_id: int, limit: int) -> list[dict[str, Any]]:
    return await _ORGANISATIONS.rows(person=person_id, limit=limit)


async def person_signing_in(kind: str, identifier: str) -> dict[str, Any] | None:
    column = Person.personal_identity_number if kind == "eid" else Person.card_id
    return await Person.select().where(column == identifier).where(Person.active.eq(True)).first()


async def memberships_of(person_id: int) -> list[dict[str, Any]]:
    """Active memberships of a person, with their organisation's name and status."""
    return await (
        Membership.select(
            Membership.id,
            Membership.role,
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.status.as_alias("organisation_status"),
            Membership.organisation.suspension_cause.as_alias("suspension_cause"),
            Membership.organisation.suspension_note.as_alias("suspension_note"),
        )
        .where(Membership.person == person_id)
        .where(Membership.active.eq(True))
        .order_by(Membership.organisation.name)
    )
