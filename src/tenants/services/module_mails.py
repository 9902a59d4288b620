"""Module mails (rule MOD-6): a message about a module goes to every active user with a right for
it, each in their language; nobody can unsubscribe.

Two senders take this one path: a vendor admin's form (/admin/module-messages), and a connected
service's module events (src/connected: `POST /api/v1/services/{code}/module-messages`, with the
SYSTEM actor acting for the organisation and the event's own idempotency key)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from src.core import audit, db, outbox
from src.core.errors import Forbidden, InputError
from src.core.i18n import DEFAULT_LOCALE, LOCALES, _, language_of
from src.core.tenancy import Actor
from src.tenants.catalogue import offer
from src.tenants.repository import rights

MAIL_ACTOR = "send_mail"
MAX_SUBJECT = 200
MAX_BODY = 20000

Texts = str | Mapping[str, str]


async def module_recipients(
    actor: Actor, module_id: int, organisation_id: int | None = None
) -> list[dict[str, Any]]:
    """Every active user with a right for the module at the organisation (or at every active
    organisation the actor reads: all of them for a vendor admin): module mails go to all of
    them, and nobody can unsubscribe (rule MOD-6)."""
    return [r for r in await rights.recipients(actor, module_id, organisation_id) if r["email"]]


def _per_language(texts: Texts) -> dict[str, str]:
    """{language: text} from one text for every language, or texts per language."""
    if isinstance(texts, str):
        return dict.fromkeys(LOCALES, texts)
    return {loc: texts.get(loc) or "" for loc in LOCALES}


def clean_texts(subject: Texts, body: Texts) -> tuple[dict[str, str], dict[str, str]]:
    """The subject and body per language (only the languages given), or InputError naming
    `subject`, `body` or `subject.<language>` / `body.<language>`. A language with a subject
    needs a body, and the other way round; at least one language is needed."""
    subjects = {loc: " ".join(t.split()) for loc, t in _per_language(subject).items()}
    bodies = {loc: t.replace("\r\n", "\n").strip() for loc, t in _per_language(body).items()}
    errors: dict[str, str] = {}
    one_text = isinstance(subject, str) and isinstance(body, str)
    for loc in LOCALES:
        s_field, b_field = ("subject", "body") if one_text else (f"subject.{loc}", f"body.{loc}")
        if len(subjects[loc]) > MAX_SUBJECT:
            errors[s_field] = _("Use at most 200 characters.")
        if len(bodies[loc]) > MAX_BODY:
            errors[b_field] = _("Use at most 20000 characters.")
        if subjects[loc] and not bodies[loc]:
            errors[b_field] = _("Enter the message.")
        if bodies[loc] and not subjects[loc]:
            errors[s_field] = _("Enter a subject.")
    given = [loc for loc in LOCALES if subjects[loc] and bodies[loc]]
    if not given and not errors:
        if not any(subjects.values()):
            errors["subject"] = _("Enter a subject.")
        if not any(bodies.values()):
            errors["body"] = _("Enter the message.")
    if errors:
        raise InputError(errors)
    return {loc: subjects[loc] for loc in given}, {loc: bodies[loc] for loc in given}


def language_for(recipient: Mapping[str, Any], given: Mapping[str, str]) -> str:
    """The language a recipient reads the message in: their own, else their organisation's,
    else English, else the first one given."""
    for loc in (recipient.get("locale"), language_of(recipient.get("country")), DEFAULT_LOCALE):
        if loc in given:
            return str(loc)
    return next(iter(given))


async def send_module_message(
    actor: Actor,
    *,
    module_id: int,
    subject: Texts,
    body: Texts,
    organisation_id: int | None = None,
    key: str | None = None,
) -> int:
    """Send a module message (from a vendor admin, or a system event with the SYSTEM actor, the
    organisation and its own idempotency `key`) to every user with rights for the module, in
    their language (`subject` and `body`: one text, or texts per language). Returns how many
    mails were queued; each (message, user) once. Call it inside the caller's transaction to
    make the sending part of it."""
    if actor.person_id and not actor.is_vendor_admin:
        raise Forbidden()
    errors: dict[str, str] = {}
    try:
        subjects, bodies = clean_texts(subject, body)
    except InputError as exc:
        errors = dict(exc.errors)
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
            loc = language_for(r, subjects)
            await outbox.enqueue(
                MAIL_ACTOR,
                {"to": [r["email"]], "subject": subjects[loc], "body": bodies[loc] + "\n"},
                f"module-mail:{key}:{r['membership_id']}",
            )
        await audit.record(
            actor,
            "rights.module_message_sent",
            organisation_id=organisation_id,
            object_type="service_module",
            object_id=module_id,
            after={
                "subject": subjects.get(DEFAULT_LOCALE) or next(iter(subjects.values())),
                "languages": sorted(subjects),
                "recipients": len(recipients),
                "key": key,
            },
        )
    return len(recipients)
