"""The reads of an entitlement question (src/tenants/services/entitlements.py): who a connected
service names (a person by the identifier their sign-in gave, an organisation by its number),
and that person's membership of the organisation.

A person and an organisation are looked up by an identifier, not read from any organisation's
rows; the membership is read within the organisation's TenantScope, which only an actor acting
for that organisation (the service acting for it) can make."""

from __future__ import annotations

from typing import Any

from src.core.ids import is_id
from src.core.prepared import Prepared
from src.core.tenancy import TenantQuery, TenantScope
from src.tenants.tables import Membership, Organisation, Person

PERSON_COLUMNS = {
    "personal_identity_number": Person.personal_identity_number,
    "card_id": Person.card_id,
}

_PERSON = {
    kind: Prepared(
        lambda p, column=column: (
            Person.select(Person.id, Person.name, Person.locale)
            .where(column == p.identifier)
            .where(Person.active.eq(True))
        )
    )
    for kind, column in PERSON_COLUMNS.items()
}

ORGANISATION_COLUMNS = (
    Organisation.id,
    Organisation.name,
    Organisation.country,
    Organisation.legal_form,
    Organisation.status,
    Organisation.kvk_number,
    Organisation.agb_code,
    Organisation.org_number,
)

_ORGANISATION = Prepared(
    lambda p: (
        Organisation.select(*ORGANISATION_COLUMNS)
        .where(
            (Organisation.kvk_number == p.number)
            | (Organisation.agb_code == p.number)
            | (Organisation.org_number == p.number)
            | (Organisation.id == p.id)
        )
        .order_by(Organisation.id)
    )
)

_ORGANISATION_BY_ID = Prepared(
    lambda p: Organisation.select(*ORGANISATION_COLUMNS).where(Organisation.id == p.id)
)


async def organisation_by_id(organisation_id: int) -> dict[str, Any] | None:
    return await _ORGANISATION_BY_ID.first(id=organisation_id)


async def person_by_identifier(kind: str, identifier: str) -> dict[str, Any] | None:
    """The active person a sign-in identifier names: `kind` is "personal_identity_number" (a
    personal e-ID) or "card_id" (a smart card)."""
    return await _PERSON[kind].first(identifier=identifier)


async def organisation_by_reference(number: str) -> dict[str, Any] | None:
    """The organisation with this KvK number, AGB code or organisationsnummer (digits only), or
    else with this id."""
    as_id = int(number) if number.isdigit() and is_id(int(number)) else 0
    rows = await _ORGANISATION.rows(number=number, id=as_id, limit=3)
    by_number = [r for r in rows if number in (r["kvk_number"], r["agb_code"], r["org_number"])]
    found = by_number or rows
    return found[0] if found else None


# Asked on every question of a connected service: prepared once.
_MEMBERSHIP = TenantQuery(
    lambda p: (
        Membership.select(Membership.id, Membership.role, Membership.active, Membership.name)
        .where(Membership.organisation == p.organisation)
        .where(Membership.person == p.person)
        .where(Membership.pending.eq(False))
    )
)


async def membership_of(scope: TenantScope, person_id: int) -> dict[str, Any] | None:
    """The person's membership of the organisation (active or not, never a pending invitation)."""
    return await scope.first(_MEMBERSHIP, person=person_id)


async def person_of_membership(scope: TenantScope, membership_id: int) -> dict[str, Any] | None:
    """The person (id, name) a membership of the organisation is."""
    return await (
        scope.select(Membership, Membership.person.id.as_alias("id"), Membership.person.name.as_alias("name"))
        .where(Membership.id == membership_id)
        .first()
    )
