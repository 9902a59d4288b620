"""Queries of memberships: an organisation's users, its contact persons, invitations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count

from src.core import db
from src.core.prepared import Prepared
from src.core.tenancy import CONTACT_PERSON, Actor, TenantQuery, TenantScope, require_vendor_admin
from src.tenants.tables import Membership, ModuleRight, UserRequest

# The columns a user row shows; identifiers come from the person.
USER_COLUMNS = (
    Membership.id,
    Membership.organisation,
    Membership.person,
    Membership.name,
    Membership.email,
    Membership.role,
    Membership.active,
    Membership.invited_at,
    Membership.created_at,
    Membership.updated_at,
    Membership.may_sign_agreements,  # rule AG-9
    Membership.pending,
    Membership.invited_pin_masked,
    Membership.invited_card_masked,
    Membership.person.personal_identity_number.as_alias("personal_identity_number"),
    Membership.person.card_id.as_alias("card_id"),
)


# --- an organisation's users ------------------------------------------------------------------


def _own_users(query: Any, p: Any, shape: tuple[bool, str]) -> Any:
    """The organisation's users, those whose name or e-mail contains the pattern when searching,
    only the active or the inactive ones when the shape's state says so."""
    searching, state = shape
    query = query.where(Membership.organisation == p.organisation)
    if searching:
        table = Membership._meta.tablename
        name, email = db.contains_ignoring_case(f"{table}.name"), db.contains_ignoring_case(f"{table}.email")
        query = query.where(WhereRaw(f"({name} OR {email})", p.pattern, p.pattern))
    if state:
        query = query.where(Membership.active.eq(state == "active"))
    return query


def _users_query(p: Any, shape: tuple[bool, str]) -> Any:
    select = _own_users(Membership.select(*USER_COLUMNS), p, shape)
    return (
        select.order_by(Membership.active, ascending=False).order_by(Membership.name).order_by(Membership.id)
    )


# The users page is opened on nearly every visit of a contact person: prepared once per shape.
_USERS = TenantQuery(_users_query, shaped=True)
_USERS_COUNT = TenantQuery(lambda p, shape: _own_users(Membership.count(), p, shape), shaped=True)


async def users(
    scope: TenantScope,
    shape: tuple[bool, str],
    *,
    limit: int | None = None,
    offset: int | None = None,
    **values: Any,
) -> list[dict[str, Any]]:
    """A page of the organisation's users (`shape`: searching, state), in the list's order."""
    return await scope.rows(_USERS, shape=shape, limit=limit, offset=offset, **values)


async def user_count(scope: TenantScope, shape: tuple[bool, str], **values: Any) -> int:
    return int(await scope.value(_USERS_COUNT, shape=shape, **values))


async def user(scope: TenantScope, membership_id: int) -> dict[str, Any]:
    """One user of the organisation with what a user row shows (NotFound for another's)."""
    return await scope.get(Membership, membership_id, *USER_COLUMNS)


async def membership(scope: TenantScope, membership_id: int, *columns: str) -> dict[str, Any]:
    """One membership of the organisation, these columns by name (all when none given)."""
    return await scope.get(Membership, membership_id, *map(Membership._meta.get_column_by_name, columns))


async def own_registration(scope: TenantScope, actor: Actor) -> dict[str, Any] | None:
    """The actor's own membership in the organisation, with the organisation's name."""
    return await (
        scope.select(Membership, *USER_COLUMNS, Membership.organisation.name.as_alias("organisation_name"))
        .where(Membership.id == actor.membership_id)
        .where(Membership.person == actor.person_id)
        .first()
    )


async def active_contact_person_ids(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's active contact persons whose person is active too."""
    return await (
        scope.select(Membership, Membership.id)
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .where(Membership.person._.active.eq(True))
    )


async def another_contact_person(scope: TenantScope, membership_id: int) -> bool:
    """Whether the organisation has an active contact person besides this user."""
    return bool(
        await scope.select(Membership, Membership.id)
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .where(Membership.person._.active.eq(True))
        .where(Membership.id != membership_id)
        .first()
    )


async def contact_persons(scope: TenantScope) -> list[dict[str, Any]]:
    """Every contact person of the organisation, active ones first, with their identifiers."""
    return await (
        scope.select(
            Membership,
            Membership.id,
            Membership.name,
            Membership.email,
            Membership.active,
            Membership.invited_at,
            Membership.created_at,
            Membership.person.personal_identity_number.as_alias("personal_identity_number"),
            Membership.person.card_id.as_alias("card_id"),
        )
        .where(Membership.role == CONTACT_PERSON)
        .order_by(Membership.active, ascending=False)
        .order_by(Membership.name)
    )


async def active_user_count(scope: TenantScope) -> int:
    counted = await scope.select(Membership, Count(Membership.id, alias="users")).where(
        Membership.active.eq(True)
    )
    return counted[0]["users"] if counted else 0


async def other_active_contact_persons(scope: TenantScope, membership_id: int) -> list[dict[str, Any]]:
    """Name and e-mail of the organisation's active contact persons but this one, by name."""
    return await (
        scope.select(Membership, Membership.name, Membership.email)
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .where(Membership.id != membership_id)
        .order_by(Membership.name)
    )


async def person_locale(scope: TenantScope, membership_id: int) -> dict[str, Any]:
    """The language the user's person chose, as `locale`."""
    return await scope.get(Membership, membership_id, Membership.person._.locale.as_alias("locale"))


async def signers(scope: TenantScope) -> list[dict[str, Any]]:
    """The active contact persons, each with whether they may sign agreements (rule AG-9)."""
    return await (
        scope.select(
            Membership, Membership.id, Membership.name, Membership.email, Membership.may_sign_agreements
        )
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .order_by(Membership.name)
    )


async def signing_authority(scope: TenantScope, membership_id: int) -> dict[str, Any] | None:
    """Role, status and signing authorisation of one membership of the organisation."""
    return await (
        scope.select(Membership, Membership.role, Membership.active, Membership.may_sign_agreements)
        .where(Membership.id == membership_id)
        .first()
    )


async def name_and_email(scope: TenantScope, membership_id: int | None) -> dict[str, Any] | None:
    return await (
        scope.select(Membership, Membership.name, Membership.email)
        .where(Membership.id == membership_id)
        .first()
    )


async def active_users(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's active users by name (the rights matrix's rows)."""
    return await (
        scope.select(Membership, Membership.id, Membership.name, Membership.email, Membership.role)
        .where(Membership.active.eq(True))
        .order_by(Membership.name)
    )


async def users_for_export(scope: TenantScope) -> list[dict[str, Any]]:
    return await scope.select(
        Membership, Membership.id, Membership.name, Membership.email, Membership.role, Membership.active
    ).order_by(Membership.name)


# --- a person in the organisation ---------------------------------------------------------------


async def memberships_of_person(scope: TenantScope, person_id: int) -> list[dict[str, Any]]:
    """The person's memberships in the organisation, pending ones (invitations) included."""
    return await scope.select(
        Membership, Membership.active, Membership.pending, Membership.invited_pin_masked
    ).where(Membership.person == person_id)


async def settled_membership_of_person(scope: TenantScope, person_id: int) -> dict[str, Any] | None:
    """The person's membership in the organisation that is not an invitation waiting for them."""
    return await (
        scope.select(Membership)
        .where(Membership.person == person_id)
        .where(Membership.pending.eq(False))  # an invitation stays the person's to answer
        .first()
    )


async def other_memberships_of_person(
    scope: TenantScope, person_id: int, membership_id: int
) -> list[dict[str, Any]]:
    return await (
        scope.select(Membership, Membership.id, Membership.pending)
        .where(Membership.person == person_id)
        .where(Membership.id != membership_id)
    )


# --- changes ------------------------------------------------------------------------------------


async def insert_membership(scope: TenantScope, **values: Any) -> int:
    """A new membership of the organisation; its id."""
    rows = await Membership.insert(Membership(organisation=scope.organisation_id, **values)).returning(
        Membership.id
    )
    return int(rows[0]["id"])


async def update_membership(scope: TenantScope, membership_id: int, **fields: Any) -> None:
    """Change these fields (by name) of one membership of the organisation."""
    values: dict[Any, Any] = {
        Membership._meta.get_column_by_name(name): value for name, value in fields.items()
    }
    await (
        Membership.update(values)
        .where(Membership.id == membership_id)
        .where(Membership.organisation == scope.organisation_id)
    )


async def accept_pending(scope: TenantScope, membership_id: int) -> bool:
    """The invitation becomes an active membership; False when it was no longer pending."""
    accepted = (
        await Membership.update(
            {
                Membership.pending: False,
                Membership.active: True,
                Membership.updated_at: dt.datetime.now(dt.UTC),
            }
        )
        .where(Membership.id == membership_id)
        .where(Membership.organisation == scope.organisation_id)
        .where(Membership.pending.eq(True))
        .returning(Membership.id)
    )
    return bool(accepted)


async def remove_pending(scope: TenantScope, membership_id: int) -> bool:
    """A pending membership goes without a trace but the audit row: its rights (a user request
    may have set them) and the link from the request go with it. False when it is no longer
    pending (accepted, declined or withdrawn at the same moment)."""
    still_pending = (
        await Membership.update({Membership.updated_at: dt.datetime.now(dt.UTC)})  # locks the row
        .where(Membership.id == membership_id)
        .where(Membership.organisation == scope.organisation_id)
        .where(Membership.pending.eq(True))
        .returning(Membership.id)
    )
    if not still_pending:
        return False
    await ModuleRight.delete().where(ModuleRight.membership == membership_id)
    await UserRequest.update({UserRequest.membership: None}).where(UserRequest.membership == membership_id)
    await Membership.delete().where(Membership.id == membership_id)
    return True


# --- a person's own invitations, across organisations ----------------------------------------------
# Bound to the person (who signs in before they act for any organisation), like their memberships
# at sign-in: each query names the person.


async def pending_invitations_of(person_id: int) -> list[dict[str, Any]]:
    """The invitations a person has not answered yet, of organisations that are active."""
    return await (
        Membership.select(
            Membership.id,
            Membership.role,
            Membership.created_at,
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
        )
        .where(Membership.person == person_id)
        .where(Membership.pending.eq(True))
        .where(Membership.organisation.status == "active")
        .order_by(Membership.organisation.name)
    )


async def pending_invitation(person_id: int, membership_id: int) -> dict[str, Any] | None:
    """The person's own pending invitation, with its organisation's name and status."""
    return await (
        Membership.select(
            Membership.id,
            Membership.organisation,
            Membership.name,
            Membership.email,
            Membership.role,
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.status.as_alias("organisation_status"),
            Membership.person.active.as_alias("person_active"),
        )
        .where(Membership.id == membership_id)
        .where(Membership.person == person_id)
        .where(Membership.pending.eq(True))
        .first()
    )


# --- the vendor admins' search of people across organisations ----------------------------------


def _matching_members(query: Any, p: Any) -> Any:
    """Memberships of every organisation whose name or registered e-mail contains the pattern
    (trigram indexes serve it on PostgreSQL)."""
    table = Membership._meta.tablename
    name, email = db.contains_ignoring_case(f"{table}.name"), db.contains_ignoring_case(f"{table}.email")
    return query.where(WhereRaw(f"({name} OR {email})", p.pattern, p.pattern))


_MEMBERS = Prepared(
    lambda p: (
        _matching_members(
            Membership.select(
                Membership.id,
                Membership.name,
                Membership.email,
                Membership.role,
                Membership.active,
                Membership.organisation,
                Membership.organisation.name.as_alias("organisation_name"),
            ),
            p,
        )
        .order_by(Membership.active, ascending=False)
        .order_by(Membership.name)
        .order_by(Membership.id)
    )
)
_MEMBERS_COUNT = Prepared(lambda p: _matching_members(Membership.count(), p))


async def members_matching(
    actor: Actor, pattern: str, *, limit: int | None = None, offset: int | None = None
) -> list[dict[str, Any]]:
    """Memberships of every organisation by part of their name or e-mail: what
    `readable(admin, Membership)` gives a vendor admin, prepared once (vendor admins only)."""
    require_vendor_admin(actor)
    return await _MEMBERS.rows(limit=limit, offset=offset, pattern=pattern)


async def members_matching_count(actor: Actor, pattern: str) -> int:
    require_vendor_admin(actor)
    return int(await _MEMBERS_COUNT.value(pattern=pattern))
