"""The rules for organisations, people and memberships. The only code here that writes."""

from __future__ import annotations

from typing import Any

from src.core import db
from src.core.errors import NotFound
from src.core.i18n import LOCALES
from src.core.tenancy import Actor
from src.tenants.tables import Organisation, Person


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
