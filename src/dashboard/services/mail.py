"""The local mail catcher and the deliveries the outbox gave up on (vendor admins only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.core import db, outbox
from src.core.errors import NotFound
from src.core.paging import page_in_reach
from src.core.tables import CaughtAttachment, CaughtMail, OutboxMessage
from src.core.tenancy import Actor, require_vendor_admin
from src.dashboard.services.audit import PAGE_SIZE, json_fields

# --- the local mail catcher ---------------------------------------------------------------------


@dataclass
class MailPage:
    mails: list[dict[str, Any]]
    page: int
    has_next: bool


async def caught_mails(actor: Actor, page: int = 1) -> MailPage:
    require_vendor_admin(actor)
    page = page_in_reach(page, PAGE_SIZE)
    rows = (
        await CaughtMail.select(
            CaughtMail.id,
            CaughtMail.at,
            CaughtMail.sender,
            CaughtMail.recipients,
            CaughtMail.subject,
            CaughtMail.read,
        )
        .order_by(CaughtMail.id, ascending=False)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    mails = rows[:PAGE_SIZE]
    attachments = await _attachments_of([m["id"] for m in mails])
    for m in mails:
        m["attachments"] = attachments.get(m["id"], [])
    return MailPage(mails=mails, page=page, has_next=len(rows) > PAGE_SIZE)


async def _attachments_of(mail_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The attachments of these caught mails (without their content), by mail."""
    if not mail_ids:
        return {}
    rows = (
        await CaughtAttachment.select(
            CaughtAttachment.id,
            CaughtAttachment.mail,
            CaughtAttachment.filename,
            CaughtAttachment.content_type,
        )
        .where(CaughtAttachment.mail.is_in(mail_ids))
        .order_by(CaughtAttachment.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["mail"], []).append(row)
    return found


async def caught_mail(actor: Actor, mail_id: int) -> dict[str, Any]:
    """One caught mail with its attachments' names; opening it marks it read."""
    require_vendor_admin(actor)
    row = await CaughtMail.select().where(CaughtMail.id == mail_id).first()
    if row is None:
        raise NotFound()
    if not row["read"]:
        async with db.transaction():
            await CaughtMail.update({CaughtMail.read: True}).where(CaughtMail.id == mail_id)
    row["attachments"] = (await _attachments_of([mail_id])).get(mail_id, [])
    return row


async def caught_attachment(actor: Actor, mail_id: int, attachment_id: int) -> dict[str, Any]:
    """One attachment of a caught mail, content and all (vendor admins, as the mail itself)."""
    require_vendor_admin(actor)
    row = (
        await CaughtAttachment.select()
        .where((CaughtAttachment.id == attachment_id) & (CaughtAttachment.mail == mail_id))
        .first()
    )
    if row is None:
        raise NotFound()
    return row


# --- deliveries the outbox gave up on -----------------------------------------------------------

FAILED_LIMIT = 50


@dataclass
class FailedDeliveries:
    rows: list[dict[str, Any]]
    total: int
    # Of all failed rows, those whose mail may have arrived already (src.core.outbox).
    maybe_delivered: int = 0


def _failed_row(row: dict[str, Any], maybe_delivered: set[str]) -> dict[str, Any]:
    payload = json_fields(row["payload"])
    # Only the address and subject of a plain mail are shown: other payloads may hold secrets
    # (the sealed revocation code of a confirmation letter).
    to = payload.get("to") if row["actor_name"] == "send_mail" else None
    return {
        "id": row["id"],
        "may_have_been_delivered": row["dedupe_key"] in maybe_delivered,
        "failed_at": row["failed_at"],
        "created_at": row["created_at"],
        "actor_name": row["actor_name"],
        "dedupe_key": row["dedupe_key"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "recipients": ", ".join(to) if isinstance(to, list) else "",
        "subject": str(payload.get("subject", "")) if row["actor_name"] == "send_mail" else "",
    }


async def failed_delivery_count(actor: Actor) -> int:
    """How many outbox rows were given up on (vendor admins only)."""
    require_vendor_admin(actor)
    return await OutboxMessage.count().where(outbox.given_up())


async def failed_deliveries(actor: Actor) -> FailedDeliveries:
    """Outbox rows given up on after their last attempt, newest first (vendor admins only)."""
    require_vendor_admin(actor)
    failed = outbox.given_up()
    rows = (
        await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.failed_at,
            OutboxMessage.created_at,
            OutboxMessage.actor_name,
            OutboxMessage.dedupe_key,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.payload,
        )
        .where(failed)
        .order_by(OutboxMessage.failed_at, ascending=False)
        .order_by(OutboxMessage.id, ascending=False)
        .limit(FAILED_LIMIT)
    )
    total = await OutboxMessage.count().where(failed) if len(rows) == FAILED_LIMIT else len(rows)
    shown = await outbox.may_have_been_delivered([r["dedupe_key"] for r in rows])
    maybe = (
        await OutboxMessage.count()
        .where(failed)
        .where(OutboxMessage.dedupe_key.is_in(outbox.unconfirmed_mail()))
        if len(rows) == FAILED_LIMIT
        else len(shown)
    )
    return FailedDeliveries(rows=[_failed_row(r, shown) for r in rows], total=total, maybe_delivered=maybe)
