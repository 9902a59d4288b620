"""Renewal letters (rule CRT-2): sixty days before a certificate expires, a letter goes out
unasked — a PDF addressed to the certificate holder at the subscriber's postal address, mailed
to the holder and the organisation's contact persons. Renewing in time stays the subscriber's
duty; the letter says how (the certificate page's "renew" pre-fills a new application).

Exactly once per certificate and expiry date, even when the job runs twice, in two worker
processes at once, or after a restart: the RenewalLetter row's unique dedupe key
"renewal:{certificate_id}:{not_after date}" is claimed with INSERT … ON CONFLICT DO NOTHING in
the transaction that also writes the outbox row; only the run that claimed it queues the mail,
and the mail itself is sent once per the same key (src.core.mail)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.certificates.tables import Certificate, CertificateApplication, RenewalLetter
from src.core import audit, db, mail, outbox
from src.core.i18n import _, current_locale, format_date, language_of, timezone_for
from src.core.pdf import render_pdf
from src.core.tenancy import SYSTEM
from src.settings import get_settings
from src.tenants.tables import Membership, Organisation

RENEWAL_DAYS = 60  # rule CRT-2
ACTOR = "send_renewal_letter"


def dedupe_key(certificate_id: int, not_after: dt.datetime) -> str:
    return f"renewal:{certificate_id}:{not_after.astimezone(dt.UTC).date().isoformat()}"


async def due_certificates(now: dt.datetime) -> list[dict[str, Any]]:
    """Certificates in force that expire within 60 days and have no letter for this expiry."""
    rows = await (
        Certificate.select(
            Certificate.id, Certificate.number, Certificate.not_after, Certificate.organisation
        )
        .where(Certificate.revoked_at.is_null())
        .where(Certificate.not_after > now)
        .where(Certificate.not_after <= now + dt.timedelta(days=RENEWAL_DAYS))
        .order_by(Certificate.not_after)
    )
    if not rows:
        return []
    sent = {
        r["dedupe_key"]
        for r in await RenewalLetter.select(RenewalLetter.dedupe_key).where(
            RenewalLetter.certificate.is_in([r["id"] for r in rows])
        )
    }
    # Renewed by an approved application of the certificate's own organisation: another
    # organisation naming this number renews nothing of it.
    renewed = {
        (r["renewal_of_number"], r["organisation"])
        for r in await CertificateApplication.select(
            CertificateApplication.renewal_of_number, CertificateApplication.organisation
        )
        .where(CertificateApplication.renewal_of_number.is_in([r["number"] for r in rows]))
        .where(CertificateApplication.status == "approved")
    }
    return [
        r
        for r in rows
        if dedupe_key(r["id"], r["not_after"]) not in sent and (r["number"], r["organisation"]) not in renewed
    ]


async def send_due_renewal_letters(now: dt.datetime | None = None) -> int:
    """The periodic job: queue one letter per due certificate. Returns how many this run queued."""
    now = now or dt.datetime.now(dt.UTC)
    queued = 0
    for row in await due_certificates(now):
        key = dedupe_key(row["id"], row["not_after"])
        async with db.transaction():
            claimed = (
                await RenewalLetter.insert(
                    RenewalLetter(certificate=row["id"], for_not_after=row["not_after"], dedupe_key=key)
                )
                .on_conflict(target=RenewalLetter.dedupe_key, action="DO NOTHING")
                .returning(RenewalLetter.id)
            )
            if not claimed:
                continue  # another run claimed it
            await outbox.enqueue(ACTOR, {"certificate_id": row["id"]}, key)
            await audit.record(
                SYSTEM,
                "certificates.renewal_letter_queued",
                organisation_id=row["organisation"],
                object_type="certificate",
                object_id=row["id"],
                after={"number": row["number"], "not_after": row["not_after"]},
            )
        queued += 1
    return queued


async def letter_data(certificate_id: int) -> dict[str, Any] | None:
    row = (
        await Certificate.select(
            Certificate.id,
            Certificate.number,
            Certificate.kind,
            Certificate.dns_names,
            Certificate.not_after,
            Certificate.organisation,
            Certificate.holder,
            Certificate.holder.name.as_alias("holder_name"),
            Certificate.holder.email.as_alias("holder_email"),
            Certificate.holder.active.as_alias("holder_active"),
        )
        .where(Certificate.id == certificate_id)
        .first()
    )
    if row is None:
        return None
    organisation = await Organisation.select().where(Organisation.id == row["organisation"]).first()
    names = row["dns_names"]
    if isinstance(names, str):
        names = json.loads(names or "[]")
    row["dns_names"] = list(names or [])
    return {"certificate": row, "organisation": organisation}


def renew_url(number: str) -> str:
    return f"{get_settings().base_url}/organisation/certificates/apply?renew={number}"


async def render_letter(data: dict[str, Any]) -> bytes:
    certificate = data["certificate"]
    return await render_pdf(
        "certificates/pdf_renewal.html",
        {
            **data,
            "holder_name": certificate["holder_name"] or data["organisation"]["name"],
            "renew_url": renew_url(certificate["number"]),
        },
    )


async def recipients(data: dict[str, Any]) -> list[str]:
    """The holder (when still active) and the subscriber's contact persons."""
    certificate = data["certificate"]
    emails: list[str] = []
    if certificate["holder_email"] and certificate["holder_active"]:
        emails.append(certificate["holder_email"])
    contacts = await (
        Membership.select(Membership.email)
        .where(Membership.organisation == certificate["organisation"])
        .where(Membership.role == "contact_person")
        .where(Membership.active.eq(True))
        .order_by(Membership.id)
    )
    for c in contacts:
        if c["email"] and c["email"] not in emails:
            emails.append(c["email"])
    return emails


async def deliver_renewal_letter(certificate_id: int, key: str) -> bool:
    data = await letter_data(certificate_id)
    if data is None or data["organisation"] is None:
        return False
    to = await recipients(data)
    if not to:
        # Never counted as sent: the row fails and shows among the failed deliveries.
        raise LookupError(
            f"certificate {certificate_id}: no active holder or contact person to send the renewal letter to"
        )
    organisation = data["organisation"]
    certificate = data["certificate"]
    token = current_locale.set(language_of(organisation["country"]))
    try:
        pdf = await render_letter(data)
        subject = _("Certificate %(number)s expires soon: renew it in time", number=certificate["number"])
        body = mail.letter(
            _("Dear %(name)s,", name=certificate["holder_name"] or organisation["name"]),
            [
                _(
                    "Certificate %(number)s of %(organisation)s expires on %(date)s. Renewing in time is "
                    "the subscriber's responsibility; the attached letter says how.",
                    number=certificate["number"],
                    organisation=organisation["name"],
                    date=format_date(
                        certificate["not_after"].astimezone(timezone_for(organisation["country"]))
                    ),
                ),
                _("Renew: %(url)s", url=renew_url(certificate["number"])),
            ],
        )
        filename = f"certificate-{certificate['number']}-renewal.pdf"
    finally:
        current_locale.reset(token)
    return await mail.deliver(to, subject, body, key, [(filename, "application/pdf", pdf)])
