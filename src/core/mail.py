"""Mail: sent over SMTP when SMTP_HOST is set, else kept by the local catcher.

`deliver` is idempotent per dedupe key: a retried actor never sends the same mail twice.

SMTP_SECURITY chooses plain SMTP, STARTTLS or implicit TLS; the server's certificate is always
verified (against SMTP_CA_FILE when set) and its name checked. Credentials are only ever sent
over TLS (src.settings refuses them with SMTP_SECURITY=none)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from src.core import db
from src.core.tables import CaughtAttachment, CaughtMail, SentMail
from src.settings import Settings, get_settings
from src.workers.broker import async_actor

log = logging.getLogger(__name__)


class MaybeDelivered(Exception):
    """The connection broke after the server had been given the message, before it answered:
    the mail may well have arrived, so it must not be sent again."""


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


async def deliver(
    to: list[str], subject: str, body: str, dedupe_key: str, attachments: list[Attachment] | None = None
) -> bool:
    """Send once. Returns False when this key was already sent (or is being sent right now).

    `attachments` go with the SMTP message, or are kept with the caught mail."""
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="portal.local")
    message.set_content(body)
    for filename, content_type, content in attachments or []:
        maintype, _sep, subtype = content_type.partition("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    # Claim the key first: a second delivery of the same message finds it taken (the unique
    # key settles two runs at the same moment, too). A failed send gives the key back below.
    claimed = (
        await SentMail.insert(SentMail(dedupe_key=dedupe_key, recipients=", ".join(to), subject=subject))
        .on_conflict(target=SentMail.dedupe_key, action="DO NOTHING")
        .returning(SentMail.id)
    )
    if not claimed:
        return False
    try:
        if settings.smtp_host:
            # smtplib blocks: keep it off the event loop (in the embedded default that is the app's).
            await asyncio.to_thread(_send_over_smtp, settings, message)
        else:
            await catch(settings, to, subject, body, attachments or [])
    except MaybeDelivered as exc:
        # Keep the key: sending again could deliver the mail twice.
        log.error("mail %s may have been delivered (%s); it will not be sent again", dedupe_key, exc)
        return True
    except Exception:
        await SentMail.delete().where(SentMail.dedupe_key == dedupe_key)
        raise
    return True


@async_actor("send_mail", max_retries=8)
async def send_mail(to: list[str], subject: str, body: str, dedupe_key: str) -> None:
    await deliver(to, subject, body, dedupe_key)
