"""The append-only audit log: services call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from src.core.tables import AuditEntry
from src.core.tenancy import Actor


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    actor: Actor,
    action: str,
    *,
    organisation_id: int | None,
    object_type: str = "",
    object_id: int | str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            actor_person_id=actor.person_id or None,
            actor_label=actor.label,
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id="" if object_id is None else str(object_id),
            before=_plain(before) if before is not None else None,
            after=_plain(after) if after is not None else None,
            client_address=actor.client_address[:64],
        )
    )
