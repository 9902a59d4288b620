"""Users of an organisation: contact persons manage them, every user keeps their own e-mail.

Rules: MOD-3 (each user has a registered e-mail that the user sees and a contact person can
look up), MOD-4 (a user changes it by confirming it is their own business address), MOD-8
(new users are added by a contact person), and "an organisation always keeps at least one
active contact person".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from src.core import db
from src.core.errors import InputError
from src.core.i18n import _
from src.core.paging import paged
from src.core.tenancy import CONTACT_PERSON, ROLES, Actor, TenantScope
from src.tenants import validation
from src.tenants.repository import memberships

PAGE_SIZE = 50

# A user's status as the organisation sees it.
ACTIVE, DEACTIVATED, INVITED = "active", "deactivated", "invited"

_EMAIL = re.compile(
    r"^[^@\s\"<>(),;:\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CARD_ID = re.compile(r"^[A-Z0-9-]{3,64}$")


# --- checking input -------------------------------------------------------------------------


def clean_email(value: str | None, field: str = "email") -> str:
    email = (value or "").strip()
    if not email:
        raise InputError({field: _("Enter an e-mail address.")})
    if len(email) > 254 or not _EMAIL.match(email):
        raise InputError({field: _("This is not a valid e-mail address (for example name@example.org).")})
    return email


def clean_name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InputError({"name": _("Enter the user's name.")})
    if len(name) > 200:
        raise InputError({"name": _("Use at most 200 characters.")})
    if problem := validation.hidden_character_problem(name):
        raise InputError({"name": problem})
    return name


def clean_role(value: str | None) -> str:
    if value not in ROLES:
        raise InputError({"role": _("Choose contact person or end user.")})
    return value


def clean_card_id(value: str | None) -> str | None:
    """An HSA-id or UZI number: trimmed, upper-cased, 3-64 letters, digits and hyphens."""
    card = (value or "").strip().upper()
    if not card:
        return None
    if not _CARD_ID.match(card):
        raise InputError({"card_id": _("A card id has 3 to 64 letters, digits and hyphens.")})
    return card


def clean_personal_identity_number(value: str | None, country: str) -> str | None:
    if not (value or "").strip():
        return None
    try:
        return validation.personal_identity_number(value or "", country)
    except ValueError as exc:
        raise InputError({"personal_identity_number": str(exc)}) from exc


def mask(value: str | None) -> str:
    """An identifier with only its last four characters visible."""
    if not value:
        return ""
    visible = value[-4:]
    return "•" * min(max(len(value) - 4, 0), 8) + visible


# --- reading ----------------------------------------------------------------------------------


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """A user as the organisation sees it. Until the person accepts the invitation, only what
    the organisation entered itself: nothing registered for the person elsewhere."""
    row = dict(row)
    if row.get("pending"):
        row["personal_identity_number_masked"] = row.get("invited_pin_masked", "")
        row["card_id_masked"] = row.get("invited_card_masked", "")
        row["status"] = INVITED
    else:
        row["personal_identity_number_masked"] = mask(row.get("personal_identity_number"))
        row["card_id_masked"] = mask(row.get("card_id"))
        row["status"] = ACTIVE if row.get("active") else DEACTIVATED
    for identifier in ("personal_identity_number", "card_id", "invited_pin_masked", "invited_card_masked"):
        row.pop(identifier, None)
    row["is_contact_person"] = row.get("role") == CONTACT_PERSON
    return row


@dataclass
class UserPage:
    users: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    query: str


STATES = ("active", "inactive")


async def list_users(
    actor: Actor,
    organisation_id: int,
    *,
    query: str = "",
    page: int = 1,
    page_size: int | None = PAGE_SIZE,
    state: str = "",
) -> UserPage:
    """Every user of the organisation with their registered e-mail (rule MOD-3); `state`
    "active" or "inactive" keeps only those.

    Only a contact person of the organisation (or a vendor admin) may look them up."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    query = (query or "").strip()[:100]
    searching = bool(query)
    shape = (searching, state if state in STATES else "")
    values: dict[str, Any] = {"pattern": db.contains_pattern(query)} if searching else {}
    if not page_size:
        rows = await memberships.users(scope, shape, **values)
        return UserPage(users=[_present(r) for r in rows], total=len(rows), page=1, pages=1, query=query)
    found = await paged(
        lambda limit, offset: memberships.users(scope, shape, limit=limit, offset=offset, **values),
        lambda: memberships.user_count(scope, shape, **values),
        page,
        page_size,
    )
    return UserPage(
        users=[_present(r) for r in found.rows],
        total=found.total,
        page=found.page,
        pages=found.pages,
        query=query,
    )


async def get_user(actor: Actor, organisation_id: int, membership_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return _present(await memberships.user(scope, membership_id))


async def my_registration(actor: Actor) -> dict[str, Any] | None:
    """The signed-in user's own membership in the current organisation (rule MOD-3)."""
    if actor.organisation_id is None or actor.membership_id is None:
        return None
    scope = TenantScope(actor, actor.organisation_id)
    row = await memberships.own_registration(scope, actor)
    return _present(row) if row else None


async def active_contact_persons(actor: Actor, organisation_id: int) -> int:
    scope = TenantScope(actor, organisation_id)
    return len(await memberships.active_contact_person_ids(scope))


async def _another_contact_person(scope: TenantScope, membership_id: int) -> bool:
    """Whether the organisation has an active contact person besides this user."""
    return await memberships.another_contact_person(scope, membership_id)


def last_contact_person_message(name: str) -> str:
    return _(
        "%(name)s is the last active contact person. An organisation always needs at least "
        "one contact person; make someone else contact person first.",
        name=name,
    )


async def deactivation_refusal(actor: Actor, organisation_id: int, user: dict[str, Any]) -> str:
    """Why this (presented) user cannot be deactivated now, or "" when they can: the last active
    contact person stays. Said before anyone confirms, so the confirmation never misleads."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    if user["status"] != ACTIVE:
        return ""
    if user["is_contact_person"] and not await _another_contact_person(scope, user["id"]):
        return last_contact_person_message(user["name"])
    return ""


# --- changing ---------------------------------------------------------------------------------
