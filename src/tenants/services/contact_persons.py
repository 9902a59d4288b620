"""Vendor admins register an organisation's contact persons: an existing person (matched on
personal identity number or card id) or a new one, invited by mail after commit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from src.core import audit, db, outbox
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import CONTACT_PERSON, Actor, TenantScope, require_vendor_admin
from src.identity.oidc import normalise_identifier
from src.tenants import validation
from src.tenants.repository import memberships
from src.tenants.services.organisation_input import _text
from src.tenants.services.organisations import _locked, _row, mask
from src.tenants.services.people import find_or_create_person

INVITATION_ACTOR = "send_invitation"  # src/tenants/tasks.py

_EMAIL = re.compile(
    r"^[^@\s\"<>(),;:\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CARD_ID = re.compile(r"^[A-Z0-9-]{3,64}$")


def _clean_contact_person(data: Mapping[str, Any], country: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(_text(data.get("name")).split())
    if not name:
        errors["name"] = _("Enter the contact person's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    elif problem := validation.hidden_character_problem(name):
        errors["name"] = problem
    email = _text(data.get("email"))
    if not email:
        errors["email"] = _("Enter an e-mail address.")
    elif len(email) > 254 or not _EMAIL.match(email):
        errors["email"] = _("This is not a valid e-mail address (for example name@example.org).")
    pin: str | None = None
    raw_pin = _text(data.get("personal_identity_number"))
    if raw_pin:
        try:
            pin = validation.personal_identity_number(raw_pin, country)
        except ValueError as exc:
            errors["personal_identity_number"] = str(exc)
    card: str | None = normalise_identifier("smartcard", _text(data.get("card_id"))) or None
    if card and not _CARD_ID.match(card):
        errors["card_id"] = _("A card id has 3 to 64 letters, digits and hyphens.")
    if not raw_pin and not card:
        message = _("Enter the personal identity number or the card id the person signs in with.")
        errors["personal_identity_number"] = message
        errors["card_id"] = message
    if errors:
        raise InputError(errors)
    return {"name": name, "email": email, "personal_identity_number": pin, "card_id": card}


async def add_contact_person(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Register a contact person: an existing person (matched on personal identity number or card
    id) or a new one. A user of the organisation becomes its contact person. An invitation mail
    goes out after commit (the outbox wakes its relay then)."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    organisation = await _row(organisation_id)
    values = _clean_contact_person(data, organisation["country"])
    async with db.transaction():
        await _locked(organisation_id)
        person, created = await find_or_create_person(
            values["name"], values["email"], values["personal_identity_number"], values["card_id"]
        )
        existing = await memberships.settled_membership_of_person(scope, person["id"])
        now = dt.datetime.now(dt.UTC)
        membership_values = {
            "name": values["name"],
            "email": values["email"],
            "role": CONTACT_PERSON,
            "active": True,
        }
        if existing is None:
            membership_id = await memberships.insert_membership(
                scope, person=person["id"], created_at=now, updated_at=now, **membership_values
            )
            before: dict[str, Any] | None = None
            after: dict[str, Any] = dict(membership_values)
        else:
            if existing["active"] and existing["role"] == CONTACT_PERSON:
                field = "personal_identity_number" if values["personal_identity_number"] else "card_id"
                raise InputError({field: _("This person is already a contact person of this organisation.")})
            membership_id = existing["id"]
            await memberships.update_membership(scope, membership_id, **membership_values, updated_at=now)
            before, after = audit.changes({k: existing[k] for k in membership_values}, membership_values)
        after.update(
            {
                "person_id": person["id"],
                "person_created": created,
                "personal_identity_number": mask(person["personal_identity_number"]),
                "card_id": mask(person["card_id"]),
            }
        )
        await audit.record(
            actor,
            "tenants.contact_person_added",
            organisation_id=organisation_id,
            object_type="membership",
            object_id=membership_id,
            before=before,
            after=after,
        )
        await outbox.enqueue(
            INVITATION_ACTOR,
            {"membership_id": membership_id, "invited_by": actor.name},
            f"invitation:{membership_id}:contact_person:{now.isoformat()}",
        )
        return await memberships.membership(scope, membership_id)


async def contact_person_addresses(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The active contact persons of the organisation who have an e-mail address (`id`, `name`,
    `email`): whom the portal writes to about the organisation's agreements and subscriptions."""
    scope = TenantScope(actor, organisation_id)
    return [
        {"id": row["id"], "name": row["name"], "email": row["email"]}
        for row in await memberships.contact_persons(scope)
        if row["active"] and row["email"]
    ]
