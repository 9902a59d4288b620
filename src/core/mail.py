"""Mail: sent over SMTP when SMTP_HOST is set, else kept by the local catcher.

`deliver` is idempotent per dedupe key: a retried actor never sends the same mail twice."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from src.core.i18n import _
from src.core.tables import CaughtMail, SentMail
from src.settings import get_settings
from src.workers.broker import async_actor


def _send_over_smtp(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(message)


Attachment = tuple[str, str, bytes]  # (file name, content type such as "application/pdf", content)


async def deliver(
    to: list[str], subject: str, body: str, dedupe_key: str, attachments: list[Attachment] | None = None
) -> bool:
    """Send once. Returns False when this key was already sent (or is being sent right now).

    `attachments` go with the SMTP message only; the local catcher keeps the text (with their
    names listed), never their content."""
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
            await asyncio.to_thread(_send_over_smtp, settings.smtp_host, settings.smtp_port, message)
        else:
            await CaughtMail.insert(
                CaughtMail(
                    sender=settings.mail_from,
                    recipients=", ".join(to),
                    subject=subject,
                    body=body
                    + "".join(f"\n[{_('Attachment')}: {name}]" for name, _t, _c in attachments or []),
                )
            )
    except Exception:
        await SentMail.delete().where(SentMail.dedupe_key == dedupe_key)
        raise
    return True


@async_actor("send_mail", max_retries=8)
async def send_mail(to: list[str], subject: str, body: str, dedupe_key: str) -> None:
    await deliver(to, subject, body, dedupe_key)
