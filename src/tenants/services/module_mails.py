"""Module mails (rule MOD-6): a vendor admin's message about a module goes to every active user
with a right for it; nobody can unsubscribe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from src.core import audit, db
from src.core.errors import Forbidden, InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.tenants.catalogue import offer
from src.tenants.repository import rights

MAIL_ACTOR = "send_mail"


async def module_recipients(
    actor: Actor, module_id: int, organisation_id: int | None = None
) -> list[dict[str, Any]]:
    """Every active user with a right for the module at the organisation (or at every active
    organisation the actor reads: all of them for a vendor admin): module mails go to all of
    them, and nobody can unsubscribe (rule MOD-6)."""
    return [r for r in await rights.recipients(actor, module_id, organisation_id) if r["email"]]


async def send_module_message(
    actor: Actor,
    *,
    module_id: int,
    subject: str,
    body: str,
    organisation_id: int | None = None,
    key: str | None = None,
) -> int:
    """Send a module message (from a vendor admin, or a system event with the SYSTEM actor, the
    organisation and its own idempotency `key`) to every user with rights for the module.
    Returns how many mails were queued; each (message, user) once."""
    import uuid

    from src.core import outbox

    if actor.person_id and not actor.is_vendor_admin:
        raise Forbidden()
    errors: dict[str, str] = {}
    subject, body = " ".join((subject or "").split()), (body or "").replace("\r\n", "\n").strip()
    if not subject:
        errors["subject"] = _("Enter a subject.")
    elif len(subject) > 200:
        errors["subject"] = _("Use at most 200 characters.")
    if not body:
        errors["body"] = _("Enter the message.")
    module = await offer().module_codes(module_id)
    if module is None:
        errors["module"] = _("Choose a module.")
    if errors:
        raise InputError(errors)
    key = key or uuid.uuid4().hex
    # A system event (no person behind it) sends for the organisation it happened in.
    acting = (
        actor
        if actor.person_id or organisation_id is None
        else replace(actor, organisation_id=organisation_id)
    )
    recipients = await module_recipients(acting, module_id, organisation_id)
    async with db.transaction():
        for r in recipients:
            await outbox.enqueue(
                MAIL_ACTOR,
                {"to": [r["email"]], "subject": subject, "body": body + "\n"},
                f"module-mail:{key}:{r['membership_id']}",
            )
        await audit.record(
            actor,
            "rights.module_message_sent",
            organisation_id=organisation_id,
            object_type="service_module",
            object_id=module_id,
            after={"subject": subject, "recipients": len(recipients), "key": key},
        )
    return len(recipients)
