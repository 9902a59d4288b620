"""Mails to an organisation's contact persons about its subscriptions: orders, changes, price
changes. Each is written in the organisation's language, queued through the outbox inside the
caller's transaction, once per contact person and event (the dedupe key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from src.core import mail, outbox
from src.core.i18n import _, current_locale, language_of
from src.core.tenancy import Actor
from src.settings import get_settings
from src.tenants.services.contact_persons import contact_person_addresses

MAIL_ACTOR = "send_mail"

Compose = Callable[[], tuple[str, list[str]]]


def subscriptions_url() -> str:
    return f"{get_settings().base_url}/organisation/subscriptions"


async def tell_contact_persons(
    actor: Actor, organisation: dict[str, Any], event_key: str, compose: Compose
) -> int:
    """Queue a mail to each active contact person of `organisation` (`id`, `country`): `compose`
    is called in the organisation's language and gives the subject and the lines. The number of
    mails queued; the same `event_key` never mails anyone twice."""
    contacts = await contact_person_addresses(actor, int(organisation["id"]))
    token = current_locale.set(language_of(organisation.get("country")))
    try:
        subject, lines = compose()
        for contact in contacts:
            body = mail.letter(_("Dear %(name)s,", name=contact["name"]), lines)
            await outbox.enqueue(
                MAIL_ACTOR,
                {"to": [contact["email"]], "subject": subject, "body": body},
                f"{event_key}:{contact['id']}",
            )
    finally:
        current_locale.reset(token)
    return len(contacts)
