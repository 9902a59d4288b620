"""The rules for organisations, people and memberships. The only code here that writes."""

from __future__ import annotations

from src.core import db
from src.core.i18n import LOCALES
from src.core.tenancy import Actor
from src.tenants.tables import Person


async def save_locale(actor: Actor, locale: str) -> None:
    if locale not in LOCALES:
        return
    async with db.transaction():
        await Person.update({Person.locale: locale}).where(Person.id == actor.person_id)
