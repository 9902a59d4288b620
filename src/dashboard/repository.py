"""Every query of tenant-owned rows the dashboard reads itself: the audit log, and the
revocations of an organisation's certificates in its data export.

Reads start from `readable(actor, ...)`: a vendor admin reads every organisation's rows, anyone
else only those of the organisation they act for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Where
from piccolo.query import Select

from src.certificates.tables import Revocation
from src.core import db
from src.core.tables import AuditEntry
from src.core.tenancy import Actor, readable


def contains(column: Column, text: str) -> Where:
    """Case-insensitive 'contains' on both engines (SQLite's LIKE ignores ASCII case)."""
    pattern = f"%{text}%"
    return column.ilike(pattern) if db.is_postgres() else column.like(pattern)


def audit_entries(
    actor: Actor,
    *,
    organisation_ids: list[int] | None = None,
    action: str = "",
    person_id: int | None = None,
    person_text: str = "",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    before_id: int | None = None,
) -> Select:
    """The audit rows the actor may read that match, newest first (the caller pages it)."""
    query = readable(actor, AuditEntry).order_by(AuditEntry.id, ascending=False).output(load_json=True)
    if organisation_ids is not None:
        query = query.where(AuditEntry.organisation_id.is_in(organisation_ids))
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    if person_id is not None:
        query = query.where(AuditEntry.actor_person_id == person_id)
    elif person_text:
        query = query.where(contains(AuditEntry.actor_label, person_text))
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return query


async def known_actions(actor: Actor) -> list[str]:
    """The actions that occur in the rows the actor may read (at most 500)."""
    query = readable(actor, AuditEntry, AuditEntry.action).distinct().order_by(AuditEntry.action).limit(500)
    return [row["action"] for row in await query]


async def revocations_of(actor: Actor, certificate_ids: list[int]) -> dict[int, dict[str, Any]]:
    """How and when these certificates were revoked, by certificate."""
    if not certificate_ids:
        return {}
    rows = await readable(
        actor,
        Revocation,
        Revocation.certificate,
        Revocation.revoked_at,
        Revocation.reason,
        Revocation.channel,
    ).where(Revocation.certificate.is_in(certificate_ids))
    return {r["certificate"]: r for r in rows}
