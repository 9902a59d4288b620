"""Mail: sent over SMTP when SMTP_HOST is set, else kept by the local catcher.

`deliver` is idempotent per dedupe key: a retried actor never sends the same mail twice."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from src.core.tables import CaughtMail, SentMail
from src.settings import get_settings
from src.workers.broker import async_actor


async def deliver(to: list[str], subject: str, body: str, dedupe_key: str) -> bool:
    """Send once. Returns False when this key was already sent."""
    if await SentMail.exists().where(SentMail.dedupe_key == dedupe_key):
        return False
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="portal.local")
    message.set_content(body)
    # Claim the key first: a second delivery of the same message finds it taken.
    await SentMail.insert(SentMail(dedupe_key=dedupe_key, recipients=", ".join(to), subject=subject))
    try:
        if settings.smtp_host:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
                smtp.send_message(message)
        else:
            await CaughtMail.insert(
                CaughtMail(sender=settings.mail_from, recipients=", ".join(to), subject=subject, body=body)
            )
    except Exception:
        await SentMail.delete().where(SentMail.dedupe_key == dedupe_key)
        raise
    return True


@async_actor("send_mail", max_retries=8)
async def send_mail(to: list[str], subject: str, body: str, dedupe_key: str) -> None:
    await deliver(to, subject, body, dedupe_key)
