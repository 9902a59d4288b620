"""The rules for organisations, people and memberships. The only code here that writes."""

from __future__ import annotations

from typing import Any

from src.core import db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import LOCALES, _
from src.core.paging import Paged, paged
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.repository import memberships
from src.tenants.tables import Organisation, Person

MEMBERS_PAGE_SIZE = 20


async def find_members(actor: Actor, text: str, page: int = 1) -> Paged:
    """People by part of their name or e-mail, across organisations: one row per membership,
    with its organisation (vendor admins: an explicit admin search, not a tenant's read)."""
    require_vendor_admin(actor)
    pattern = db.contains_pattern(" ".join(text.split())[:100])
    return await paged(
        lambda limit, offset: memberships.members_matching(actor, pattern, limit=limit, offset=offset),
        lambda: memberships.members_matching_count(actor, pattern),
        page,
        MEMBERS_PAGE_SIZE,
    )


async def save_locale(actor: Actor, locale: str) -> None:
    if locale not in LOCALES:
        return
    async with db.transaction():
        await Person.update({Person.locale: locale}).where(Person.id == actor.person_id)


async def whoami(actor: Actor) -> dict[str, Any]:
    """The acting person, the organisation they act for, their role there and all their memberships."""
    from src.identity.services import memberships_of
    from src.tenants.services.users import my_registration

    person = (
        await Person.select(Person.id, Person.name, Person.email, Person.is_vendor_admin, Person.locale)
        .where(Person.id == actor.person_id)
        .first()
    )
    if person is None:
        raise NotFound()
    organisation = None
    registration = await my_registration(actor)
    if actor.organisation_id is not None:
        organisation = (
            await Organisation.select(
                Organisation.id, Organisation.name, Organisation.country, Organisation.status
            )
            .where(Organisation.id == actor.organisation_id)
            .first()
        )
    return {
        "person": person,
        "organisation": organisation,
        "role": actor.role,
        "registered_email": registration["email"] if registration else None,
        "memberships": [
            m for m in await memberships_of(actor.person_id) if m["organisation_status"] == "active"
        ],
    }


async def _existing_person(pin: str | None, card: str | None) -> dict[str, Any] | None:
    """The person with this personal identity number or card id, if any."""
    by_pin = await Person.select().where(Person.personal_identity_number == pin).first() if pin else None
    by_card = await Person.select().where(Person.card_id == card).first() if card else None
    if by_pin and by_card and by_pin["id"] != by_card["id"]:
        raise InputError(
            {"card_id": _("This card id belongs to another person than the personal identity number.")}
        )
    return by_pin or by_card


async def find_or_create_person(
    name: str, email: str, pin: str | None, card: str | None
) -> tuple[dict[str, Any], bool]:
    """The person with these identifiers, or a new one; True when created. A person may belong
    to several organisations.

    Identifiers decide who can sign in as a person, in every organisation they belong to, so an
    existing person never gets a different one attached here.

    Two organisations may register the same new person at the same moment. The unique indexes
    on the identifiers let one insert through; the other (on PostgreSQL it waits until the first
    commits) inserts nothing and goes on with the person found, exactly as if it had come second."""
    person = await _existing_person(pin, card)
    if person is None:
        inserted = (
            await Person.insert(Person(name=name, email=email, personal_identity_number=pin, card_id=card))
            .on_conflict(action="DO NOTHING")
            .returning(*Person.all_columns())
        )
        if inserted:
            return inserted[0], True
        person = await _existing_person(pin, card)
        if person is None:  # the person that refused ours is gone again
            raise Conflict(_("Someone else is registering this person right now; try again in a moment."))
    if pin and person["personal_identity_number"] != pin:
        raise InputError(
            {
                "personal_identity_number": _(
                    "The person with this card id is registered with another personal identity number. "
                    "Leave this field empty to add that person."
                )
            }
        )
    if card and person["card_id"] != card:
        raise InputError(
            {
                "card_id": _(
                    "The person with this personal identity number is registered with another card id, "
                    "or none. Leave this field empty to add that person."
                )
            }
        )
    if not person["active"]:
        field = "personal_identity_number" if pin else "card_id"
        raise InputError({field: _("This person's access to the portal is blocked; ask the vendor.")})
    return person, False


async def person_to_invite(name: str, email: str, pin: str | None, card: str | None) -> dict[str, Any]:
    """The person an invitation is for: the one registered with this personal identity number
    (a new one when nobody is); without a number, the one with this card id (or a new one).

    Unlike `find_or_create_person` it never refuses: an answer that differed for identifiers
    registered elsewhere (with another card id, for another person, blocked) would tell a contact
    person about people of other organisations. The invitation waits until the person signs in
    and accepts it, so nobody joins without their own consent (a blocked person cannot sign in),
    and no identifier is ever attached to an existing person: a card id registered for someone
    else stays theirs, and a new person gets only the number."""
    person = await _by_pin_else_card(pin, card)
    if person is not None:
        return person
    if pin and card and await Person.exists().where(Person.card_id == card):
        card = None
    inserted = (
        await Person.insert(Person(name=name, email=email, personal_identity_number=pin, card_id=card))
        .on_conflict(action="DO NOTHING")
        .returning(*Person.all_columns())
    )
    if inserted:
        return inserted[0]
    # registered at this same moment by someone else
    person = await _by_pin_else_card(pin, card)
    if person is None:
        raise Conflict(_("Someone else is registering this person right now; try again in a moment."))
    return person


async def _by_pin_else_card(pin: str | None, card: str | None) -> dict[str, Any] | None:
    """The person with this personal identity number; only without one, the person with this card."""
    if pin:
        return await Person.select().where(Person.personal_identity_number == pin).first()
    if card:
        return await Person.select().where(Person.card_id == card).first()
    return None
