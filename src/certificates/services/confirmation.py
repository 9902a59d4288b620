"""The confirmation of an issued certificate (rule CRT-4): an overview with the certificate
number and the revocation code, reaching the subscriber once.

Design (the code exists in clear only at issue time; `issuance` stores only its argon2 hash):
1. At approval, inside the issuing transaction, the code is *sealed* (Fernet: AES-128-CBC +
   HMAC-SHA256, key derived with HKDF from SECRET_KEY for this one purpose) and written with the
   certificate id into the outbox row that will send the confirmation. The row commits or rolls
   back with the certificate: a certificate is never issued without its letter being queued,
   and a letter never goes out for a certificate that was rolled back.
2. The mail actor unseals the code, renders the PDF letter (number, code, holder, names,
   validity) and mails it as an attachment to the organisation's active contact persons. The
   mail text does not carry the code, only the PDF does.
3. Only once the mail is confirmed sent (the SMTP server accepted it, see src.core.mail.deliver,
   or it was found confirmed already, on a retry), the actor *scrubs* the sealed code from the
   outbox row. A send whose outcome is unknown (the worker died, the connection broke after the
   letter was handed over) is no confirmation: the code stays sealed, so the next run rebuilds
   the same letter and sends it again under the same Message-ID. With an SMTP server, from the
   scrub on the code exists nowhere on our side; the subscriber has it in the letter. A database
   dump taken before that holds only the sealed value, useless without SECRET_KEY. On the
   embedded default (no SMTP server) the mail is not sent but kept by the local mail catcher,
   and the letter with it, whole (src.core.mail.catch): vendor admins, and only they, read it at
   /admin/mail and download the PDF, as they read the mail itself, so that the code reaches the
   subscriber there too. The caught letter is then the one copy of the code on our side, in
   clear, in the database.
A letter that cannot go out (no active contact person) fails, so it shows among the failed
deliveries with the code still sealed, instead of passing for sent.
The approve API answer carries the code once as well, for the program that asked; the pages never
show it: the certificate page says when and to whom the letter went, once its sending is confirmed.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from src.certificates.tables import Certificate
from src.core import mail, outbox
from src.core.i18n import _, current_locale, language_of
from src.core.pdf import render_pdf
from src.core.tables import OutboxMessage, SentMail
from src.settings import get_settings
from src.tenants.tables import Membership, Organisation

ACTOR = "send_certificate_confirmation"


def dedupe_key(certificate_id: int) -> str:
    return f"certificate-confirmation:{certificate_id}"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal:revocation-letter").derive(
        get_settings().secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(code: str) -> str:
    return _fernet().encrypt(code.encode()).decode()


def unseal(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


async def queue_confirmation(certificate_id: int, revocation_code: str) -> None:
    """Call inside the issuing transaction: the letter leaves after commit, exactly once."""
    await outbox.enqueue(
        ACTOR,
        {"certificate_id": certificate_id, "sealed_code": seal(revocation_code)},
        dedupe_key(certificate_id),
    )


async def letter_context(certificate_id: int) -> dict[str, Any] | None:
    row = (
        await Certificate.select(
            Certificate.id,
            Certificate.number,
            Certificate.kind,
            Certificate.serial_hex,
            Certificate.dns_names,
            Certificate.not_before,
            Certificate.not_after,
            Certificate.organisation,
            Certificate.holder.name.as_alias("holder_name"),
            Certificate.holder.email.as_alias("holder_email"),
        )
        .where(Certificate.id == certificate_id)
        .first()
    )
    if row is None:
        return None
    organisation = await Organisation.select().where(Organisation.id == row["organisation"]).first()
    assert organisation is not None
    names = row["dns_names"]
    if isinstance(names, str):
        names = json.loads(names or "[]")
    return {"certificate": {**row, "dns_names": list(names or [])}, "organisation": organisation}


async def contact_emails(organisation_id: int) -> list[str]:
    rows = await (
        Membership.select(Membership.email)
        .where(Membership.organisation == organisation_id)
        .where(Membership.role == "contact_person")
        .where(Membership.active.eq(True))
        .where(Membership.person._.active.eq(True))
        .order_by(Membership.id)
    )
    emails: list[str] = []
    for r in rows:
        if r["email"] and r["email"] not in emails:
            emails.append(r["email"])
    return emails


async def render_letter(certificate_id: int, revocation_code: str) -> tuple[bytes, dict[str, Any]]:
    """The PDF overview (CRT-4) in the organisation's language, and the data it shows."""
    context = await letter_context(certificate_id)
    if context is None:
        raise LookupError(certificate_id)
    pdf = await render_pdf(
        "certificates/pdf_confirmation.html",
        {**context, "revocation_code": revocation_code, "base_url": get_settings().base_url},
    )
    return pdf, context


async def deliver_confirmation(certificate_id: int, sealed_code: str, dedupe_key_: str) -> bool:
    """Mail the letter; once it is confirmed sent, remove the sealed code from the outbox row.

    Raises (so the row is retried, and in the end shown as failed) whenever the letter is not
    confirmed sent: the code is then kept sealed for the next run."""
    if await mail.was_sent(dedupe_key_):
        await _scrub(dedupe_key_, certificate_id)
        return False
    code = unseal(sealed_code) if sealed_code else None
    if code is None:
        # Not confirmed sent, and the code is gone (sealed under another SECRET_KEY, or scrubbed
        # by a version that did not wait for the confirmation). The letter cannot be rebuilt;
        # failing keeps the row visible under the failed deliveries instead of marking it done.
        raise LookupError(f"the revocation code of certificate {certificate_id} is no longer held")
    context = await letter_context(certificate_id)
    if context is None:
        return False
    organisation = context["organisation"]
    recipients = await contact_emails(organisation["id"])
    if not recipients:
        raise LookupError(
            f"certificate {certificate_id}: {organisation['name']} has no active contact person "
            "to send the confirmation letter to"
        )
    token = current_locale.set(language_of(organisation["country"]))
    try:
        pdf, _context = await render_letter(certificate_id, code)
        number = context["certificate"]["number"]
        subject = _("Your certificate %(number)s has been issued", number=number)
        body = mail.letter(
            _("Dear contact person of %(organisation)s,", organisation=organisation["name"]),
            [
                _(
                    "We approved your application and issued certificate %(number)s. The attached letter "
                    "holds its certificate number and its revocation code.",
                    number=number,
                ),
                _(
                    "Keep the letter in a safe place: the revocation code is shown only in it. With the "
                    "number and the code you can revoke the certificate on %(url)s at any time.",
                    url=f"{get_settings().base_url}/revoke",
                ),
                _(
                    "Download the certificate and its chain from the certificate page: %(url)s",
                    url=f"{get_settings().base_url}/organisation/certificates/{number}",
                ),
            ],
        )
        filename = f"certificate-{number}-confirmation.pdf"
    finally:
        current_locale.reset(token)
    sent = await mail.deliver(
        recipients, subject, body + "\n", dedupe_key_, [(filename, "application/pdf", pdf)]
    )
    # Reached only once the letter is confirmed sent: `deliver` raises in every other case.
    await _scrub(dedupe_key_, certificate_id)
    return sent


async def _scrub(key: str, certificate_id: int) -> None:
    await OutboxMessage.update(
        {OutboxMessage.payload: {"certificate_id": certificate_id, "sealed_code": ""}}
    ).where(OutboxMessage.dedupe_key == key)


async def confirmation_status(certificate_id: int) -> dict[str, Any] | None:
    """When (`at`) and to whom the letter went; None until its sending is confirmed."""
    return (
        await SentMail.select(SentMail.sent_at.as_alias("at"), SentMail.recipients)
        .where(SentMail.dedupe_key == dedupe_key(certificate_id))
        .where(SentMail.sent_at.is_not_null())
        .first()
    )
