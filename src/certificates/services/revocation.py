"""Revoking a certificate: irrevocable (REV-2), at an exact recorded moment (REV-6), with a
REV-3 reason mapped to its RFC 5280 code, an audit row and a mail to the subscriber.

`revoke` is the whole unit of work; `revoke_certificate` runs inside a caller's transaction (a
manual request, a user's deactivation). Either way the revocation registers its publication on
the unit of work: once the transaction has committed, this process's OCSP answers are renewed at
once and a new CRL is made (`crl.after_revocation`), whichever path revoked. Other
processes' OCSP responders notice within half a second (they poll a revocation count), and a
CRL is also renewed when it is fetched and stale, and daily."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from src.certificates import reasons
from src.certificates.repository import certificates as certificate_rows
from src.certificates.repository import people
from src.certificates.repository import revocations as revocation_rows
from src.certificates.services import crl
from src.core import audit, db, events, mail, outbox
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, current_locale, format_datetime, language_of
from src.core.tenancy import Actor, TenantScope
from src.tenants.tables import Organisation
from src.tenants.validation import digits_only

CHANNELS = ("online_code", "portal", "api", "manual", "user_left")


def _already_revoked(revoked_at: dt.datetime, country: str | None) -> Conflict:
    # rule REV-2: a revoked certificate can never be activated or revoked again
    return Conflict(
        _(
            "This certificate was already revoked on %(moment)s. A revocation is irrevocable.",
            moment=format_datetime(revoked_at, country=country),
        )
    )


async def revoke(actor: Actor, certificate_id: int, reason: str, channel: str) -> dict[str, Any]:
    """Revoke in a transaction of its own (published once it has committed)."""
    async with db.transaction():
        return await revoke_certificate(actor, certificate_id, reason, channel)


async def revoke_certificate(actor: Actor, certificate_id: int, reason: str, channel: str) -> dict[str, Any]:
    """Revoke one certificate the actor may see, now. Call inside the caller's transaction; the
    caller checks the actor may revoke it (a contact person, a vendor admin, the holder of its
    revocation code). Raises NotFound for a certificate the actor may not see, Conflict when it
    was already revoked."""
    if reason not in reasons.REASON_FLAGS:
        raise InputError({"reason": _("Choose a reason for the revocation.")})
    if channel not in CHANNELS:
        raise InputError({"channel": "unknown revocation channel"})
    cert = await certificate_rows.certificate(actor, certificate_id)
    if cert is None:
        raise NotFound()
    scope = TenantScope(actor, cert["organisation"])
    org = await Organisation.select().where(Organisation.id == cert["organisation"]).first()
    country = org["country"] if org else None
    if cert["revoked_at"] is not None:
        raise _already_revoked(cert["revoked_at"], country)
    # rule REV-6: the moment liability ends, recorded exactly (microseconds, UTC).
    revoked_at = dt.datetime.now(dt.UTC)
    # The conditional update settles two revocations racing: only one finds it unrevoked.
    if not await certificate_rows.mark_revoked(scope, certificate_id, revoked_at):
        current = await certificate_rows.revoked_at(scope, certificate_id)
        raise _already_revoked(current or revoked_at, country)
    code = reasons.reason_code(reason)
    revocation_id = await revocation_rows.add_revocation(
        scope,
        certificate=certificate_id,
        revoked_at=revoked_at,
        reason=reason,
        reason_code=code,
        channel=channel,
        revoked_by=actor.person_id or None,
        client_address=actor.client_address[:64],
        crl_entry=crl.encode_entry(int(cert["serial_hex"], 16), revoked_at, code).hex(),
    )
    await audit.record(
        actor,
        "certificates.revoked",
        organisation_id=cert["organisation"],
        object_type="certificate",
        object_id=certificate_id,
        before={"revoked_at": None},
        after={
            "number": cert["number"],
            "revoked_at": revoked_at,
            "reason": reason,
            "reason_code": code,
            "channel": channel,
        },
    )
    await _notify_subscriber(scope, cert, org, revoked_at, reason, revocation_id)
    await events.publish(
        events.CERTIFICATE_REVOKED,
        actor=actor,
        organisation_id=cert["organisation"],
        certificate_id=certificate_id,
        number=cert["number"],
        kind=cert["kind"],
        holder=cert.get("holder"),
    )
    # Once committed: OCSP answers at once, then a new CRL (once per CA, however many revoked).
    issuer_id = int(cert["issuer"])
    await db.on_commit(functools.partial(crl.after_revocation, issuer_id), key=("crl", issuer_id))
    return {
        "certificate_id": certificate_id,
        "number": cert["number"],
        "kind": cert["kind"],
        "serial_hex": cert["serial_hex"],
        "issuer_id": cert["issuer"],
        "organisation_id": cert["organisation"],
        "country": country,
        "revoked_at": revoked_at,
        "reason": reason,
        "reason_code": code,
        "channel": channel,
        "revocation_id": revocation_id,
    }


async def _notify_subscriber(
    scope: TenantScope,
    cert: dict[str, Any],
    org: dict[str, Any] | None,
    revoked_at: dt.datetime,
    reason: str,
    revocation_id: int,
) -> None:
    """Every revocation notifies the subscriber: the organisation's contact persons."""
    contacts = await people.contact_person_emails(scope)
    recipients = sorted({c["email"] for c in contacts if c["email"]})
    if not recipients:
        return
    country = org["country"] if org else None
    # In the organisation's language, as the confirmation letter of the same certificate, whoever
    # revoked it and in whatever language they did.
    token = current_locale.set(language_of(country))
    try:
        subject = _("Certificate %(number)s has been revoked", number=cert["number"])
        body = mail.letter(
            _("Dear contact person of %(organisation)s,", organisation=org["name"] if org else ""),
            [
                _(
                    "Certificate %(number)s (%(subject)s) of %(organisation)s was revoked on %(moment)s.\n"
                    "Reason: %(reason)s.\n\nA revocation is irrevocable. Your liability for the use of the "
                    "certificate ended at that moment.",
                    number=cert["number"],
                    subject=cert["subject_dn"],
                    organisation=org["name"] if org else "",
                    moment=format_datetime(revoked_at, country=country),
                    reason=reasons.label(reason),
                ),
            ],
        )
    finally:
        current_locale.reset(token)
    await outbox.enqueue(
        "send_mail",
        {"to": recipients, "subject": subject, "body": body},
        f"certificates.revoked:{revocation_id}",
    )


async def find_by_number(actor: Actor, number: str) -> dict[str, Any] | None:
    """The certificate with this number, when the actor may see it."""
    return await certificate_rows.certificate_by_number(actor, number.strip().upper())


async def identifying_facts(actor: Actor, cert: dict[str, Any]) -> dict[str, Any]:
    """What a revocation request names (rule REV-7): the organisation's AGB code (a Swedish
    organisation has its organisation number instead), the user's number (the membership, also
    the serialNumber in the certificate's subject) and name; shown so the contact person revokes
    the certificate they mean, and checked when a program asks through the API."""
    scope = TenantScope(actor, cert["organisation"])
    organisation = (
        await Organisation.select(
            Organisation.name, Organisation.country, Organisation.agb_code, Organisation.org_number
        )
        .where(Organisation.id == scope.organisation_id)
        .first()
    )
    holder = None
    if cert["holder"] is not None:
        holder = await people.holder(scope, cert["holder"])
    return {"organisation": organisation, "holder": holder}


def organisation_identifier(organisation: dict[str, Any]) -> str:
    """The number a revocation request names: the AGB code, or a Swedish organisation's
    organisationsnummer."""
    if organisation["country"] == "SE":
        return str(organisation["org_number"] or "")
    return str(organisation["agb_code"] or "")


def _same_text(given: str, expected: str) -> bool:
    return " ".join(given.split()).casefold() == " ".join(expected.split()).casefold()


def check_named_facts(
    cert: dict[str, Any],
    facts: dict[str, Any],
    organisation_id: str | None,
    user_number: int | None,
    user_name: str | None,
) -> None:
    """Rule REV-7 for a request by program: the organisation's identifier, and for a personal
    certificate its user's number and name, must be named and match; else InputError per field.
    (A server certificate's holder is the person responsible for it, not a user it is for.)"""
    errors: dict[str, str] = {}
    expected = organisation_identifier(facts["organisation"])
    if not organisation_id or not organisation_id.strip():
        errors["organisation_identifier"] = _(
            "Name the organisation's AGB code (in Sweden its organisation number)."
        )
    elif not expected or digits_only(organisation_id) != digits_only(expected):
        errors["organisation_identifier"] = _("This is not the number of the certificate's organisation.")
    holder = facts["holder"] if cert["kind"] == "personal" else None
    if holder is not None:
        if user_number is None:
            errors["user_number"] = _("Name the number of the user the certificate is for.")
        elif user_number != holder["id"]:
            errors["user_number"] = _("This is not the number of the certificate's user.")
        if not user_name or not user_name.strip():
            errors["user_name"] = _("Name the user the certificate is for.")
        elif not _same_text(user_name, holder["name"]):
            errors["user_name"] = _("This is not the name of the certificate's user.")
    if errors:
        raise InputError(errors)
