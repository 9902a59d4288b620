"""Mail: sent over SMTP when SMTP_HOST is set, else kept by the local catcher.

`deliver` counts a mail as sent only once it is confirmed: the SMTP server answered 250 to the
message, or the local catcher stored it. Per dedupe key it keeps one `SentMail` row:

- claimed (`at` set, `sent_at` empty): a run started sending at `at`; what became of it is not
  known until it confirms. While the claim is younger than OUTBOX_STALE_AFTER that run may still
  be sending, and another run for the same key raises `BeingSent` (retried later). An older claim
  was never confirmed (the worker died, or the connection broke after the message was handed
  over): the outcome is unknown, so the next run takes the claim over and sends again.
- confirmed (`sent_at` set): a later run for the key sends nothing and returns False.

Every other outcome raises, so an actor never finishes (and its outbox row is never marked done)
before its mail was confirmed. A send again carries the same Message-ID, derived from the dedupe
key, so mail clients fold a duplicate into one. A refusal or an error before the message was
handed over gives the claim back: nothing can have arrived.

SMTP_SECURITY chooses plain SMTP, STARTTLS or implicit TLS; the server's certificate is always
verified (against SMTP_CA_FILE when set) and its name checked. Credentials are only ever sent
over TLS (src.settings refuses them with SMTP_SECURITY=none)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from src.core import db
from src.core.i18n import _
from src.core.tables import CaughtAttachment, CaughtMail, SentMail
from src.settings import Settings, get_settings
from src.workers.broker import async_actor

log = logging.getLogger(__name__)


class MaybeDelivered(Exception):
    """The connection broke (or the server fell silent) after it had been given the message,
    before it answered: the mail may have arrived, or not. It does not count as sent: the claim
    stays unconfirmed, and once it is older than OUTBOX_STALE_AFTER a later run sends it again."""


class BeingSent(Exception):
    """Another run claimed this mail less than OUTBOX_STALE_AFTER ago and has not confirmed it:
    it may still be sending. Not done yet; a later run finds it confirmed, or sends it again."""


class _Tracking:
    """Notes when the server has asked for the message itself (354 to DATA): from then on a
    broken connection leaves it unknown whether the mail was taken."""

    data_sent = False

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()  # type: ignore[misc]
        if code == 354:
            self.data_sent = True
        return code, text


class _SMTP(_Tracking, smtplib.SMTP):
    pass


class _SMTPOverTLS(_Tracking, smtplib.SMTP_SSL):
    pass


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the server's certificate and name; SMTP_CA_FILE replaces the system's CAs."""
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def _send_over_smtp(settings: Settings, message: EmailMessage) -> None:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    smtp: Any
    if settings.smtp_security == "tls":
        smtp = _SMTPOverTLS(host, port, timeout=timeout, context=tls_context(settings))
    else:
        smtp = _SMTP(host, port, timeout=timeout)
    try:
        try:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=tls_context(settings))
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
        except OSError as exc:  # smtplib.SMTPException and socket errors alike
            # A refusal with a reply code (SMTPResponseException) is certain: nothing was
            # delivered. Losing the connection after handing over the message is not.
            if smtp.data_sent and not isinstance(exc, smtplib.SMTPResponseException):
                raise MaybeDelivered(str(exc)) from exc
            raise
    finally:
        # The message was accepted (or refused) already: a failing QUIT changes nothing.
        with contextlib.suppress(Exception):
            smtp.quit()
        smtp.close()


def letter(greeting: str, lines: list[str]) -> str:
    """The text of every mail the portal writes, in one layout and in the current language (set it
    to the recipient's before calling): the greeting, a blank line, the text, and the sign-off of
    the service desk with its e-mail address and telephone number (SERVICE_DESK_* settings)."""
    settings = get_settings()
    text = [greeting, "", *lines]
    while text and not text[-1].strip():
        text.pop()
    contact = [value for value in (settings.service_desk_email, settings.service_desk_phone) if value]
    sign_off = [_("Kind regards,"), settings.service_desk_name or _("Care portal"), *contact]
    return "\n".join([*text, "", *sign_off]) + "\n"


Attachment = tuple[str, str, bytes]  # (file name, content type such as "application/pdf", content)


async def catch(
    settings: Settings, to: list[str], subject: str, body: str, attachments: list[Attachment]
) -> None:
    """Keep a mail in the local catcher instead of sending it: the text, and each attachment
    whole (name, type, content), for vendor admins to read and download at /admin/mail."""
    async with db.transaction():
        row = await CaughtMail.insert(
            CaughtMail(sender=settings.mail_from, recipients=", ".join(to), subject=subject, body=body)
        ).returning(CaughtMail.id)
        if attachments:
            await CaughtAttachment.insert(
                *(
                    CaughtAttachment(mail=row[0]["id"], filename=name, content_type=kind, content=content)
                    for name, kind, content in attachments
                )
            )


def message_id(dedupe_key: str, mail_from: str) -> str:
    """The same for every send of a mail, so a duplicate is recognised as one."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "portal.local"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]}@{domain}>"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class _Claim:
    at: dt.datetime
    # When an earlier run claimed the mail and never confirmed it; None for a first claim.
    earlier: dt.datetime | None


async def _claim(dedupe_key: str, recipients: str, subject: str) -> _Claim | None:
    """Claim the key for this run; None when the mail was confirmed sent already.

    The unique key settles two runs at the same moment; taking over a stale claim is one
    conditional UPDATE, so only one of two runs does it."""
    now = _now()
    new = SentMail(dedupe_key=dedupe_key, recipients=recipients, subject=subject, at=now)
    if (
        await SentMail.insert(new)
        .on_conflict(target=SentMail.dedupe_key, action="DO NOTHING")
        .returning(SentMail.id)
    ):
        return _Claim(now, None)
    row = (
        await SentMail.select(SentMail.at, SentMail.sent_at).where(SentMail.dedupe_key == dedupe_key).first()
    )
    if row is not None and row["sent_at"] is not None:
        return None
    cutoff = now - dt.timedelta(seconds=get_settings().outbox_stale_after)
    taken = (
        await SentMail.update({SentMail.at: now, SentMail.recipients: recipients, SentMail.subject: subject})
        .where(SentMail.dedupe_key == dedupe_key)
        .where(SentMail.sent_at.is_null())
        .where(SentMail.at < cutoff)
        .returning(SentMail.id)
    )
    if row is None or not taken:
        raise BeingSent(
            f"mail {dedupe_key}: an earlier send is not confirmed and may still be running; "
            "it is sent again once its claim is older than OUTBOX_STALE_AFTER"
        )
    log.warning("mail %s was claimed at %s and never confirmed sent; sending it again", dedupe_key, row["at"])
    return _Claim(now, row["at"])


async def _give_back(dedupe_key: str, claim: _Claim) -> None:
    """Nothing was handed over: leave the key as this run found it (unless another run took
    the claim over meanwhile)."""
    mine = (SentMail.dedupe_key == dedupe_key) & SentMail.sent_at.is_null() & (SentMail.at == claim.at)
    if claim.earlier is None:
        await SentMail.delete().where(mine)
    else:
        await SentMail.update({SentMail.at: claim.earlier}).where(mine)


async def _confirm(dedupe_key: str, recipients: str, subject: str, claim: _Claim) -> None:
    confirmed = SentMail(
        dedupe_key=dedupe_key, recipients=recipients, subject=subject, at=claim.at, sent_at=_now()
    )
    # An upsert: the confirmation holds even if the claim was given back by a run that took it
    # over meanwhile.
    await SentMail.insert(confirmed).on_conflict(
        target=SentMail.dedupe_key, action="DO UPDATE", values=[SentMail.sent_at]
    )


async def was_sent(dedupe_key: str) -> bool:
    """The mail of this key was confirmed sent (a claim alone does not count)."""
    return bool(
        await SentMail.exists().where(SentMail.dedupe_key == dedupe_key).where(SentMail.sent_at.is_not_null())
    )


async def deliver(
    to: list[str], subject: str, body: str, dedupe_key: str, attachments: list[Attachment] | None = None
) -> bool:
    """Send and confirm. Returns True once this run's mail is confirmed sent, False when the key
    was confirmed sent before; raises in every other case (see the module's docstring):
    `BeingSent`, `MaybeDelivered`, or the error of a send that certainly failed.

    `attachments` go with the SMTP message, or are kept with the caught mail."""
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = message_id(dedupe_key, settings.mail_from)
    message.set_content(body)
    for filename, content_type, content in attachments or []:
        maintype, _sep, subtype = content_type.partition("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    claim = await _claim(dedupe_key, ", ".join(to), subject)
    if claim is None:
        return False
    try:
        if settings.smtp_host:
            # smtplib blocks: keep it off the event loop (in the embedded default that is the app's).
            await asyncio.to_thread(_send_over_smtp, settings, message)
        else:
            await catch(settings, to, subject, body, attachments or [])
    except MaybeDelivered as exc:
        # Keep the claim unconfirmed: the outcome is unknown, so a later run sends it again.
        log.error("mail %s may or may not have been delivered (%s); it will be sent again", dedupe_key, exc)
        raise
    except Exception:
        await _give_back(dedupe_key, claim)
        raise
    await _confirm(dedupe_key, ", ".join(to), subject, claim)
    return True


@async_actor("send_mail", max_retries=8)
async def send_mail(to: list[str], subject: str, body: str, dedupe_key: str) -> None:
    """Finishes (and its outbox row is done) only once the mail is confirmed sent."""
    await deliver(to, subject, body, dedupe_key)
