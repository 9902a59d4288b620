"""The audit log as CSV: every row the filters match, in batches, with the stored codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from src.core import audit, db
from src.core.errors import PortalError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.dashboard.services import labels
from src.dashboard.services.audit import (
    AuditFilters,
    audit_organisation_limit,
    audit_query,
    audit_row,
    diff,
    organisation_names,
    viewer_country,
)

EXPORT_BATCH = 1000

_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A spreadsheet cell that cannot start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_RISKY) else text


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


async def export_audit_csv(actor: Actor, filters: AuditFilters) -> AsyncIterator[str]:
    """Every row the filters match, as CSV (newest first), in batches; the export is audited."""
    limit = audit_organisation_limit(actor)
    if filters.errors:  # said before the first line is sent: a stream cannot say it later
        raise PortalError(" ".join(filters.errors.values()))
    async with db.transaction():
        await audit.record(
            actor,
            "audit.exported",
            organisation_id=limit if limit is not None else actor.organisation_id,
            object_type="audit_log",
            after={"filters": filters.describe()},
        )
    country = await viewer_country(actor)
    return _csv_lines(actor, filters, country)


async def _csv_lines(actor: Actor, filters: AuditFilters, country: str | None) -> AsyncIterator[str]:
    yield "\ufeff" + _csv_line(
        [
            _("Time (UTC)"),
            _("Organisation id"),
            _("Organisation"),
            _("Person number"),
            _("Who"),
            _("Action"),
            _("Object"),
            _("Object number"),
            _("Changes"),
            _("Before"),
            _("After"),
            _("Client address"),
        ]
    )
    last_id: int | None = None
    while True:
        query = await audit_query(actor, filters, country, before_id=last_id)
        if query is None:
            return
        entries = await query.limit(EXPORT_BATCH)
        if not entries:
            return
        names = await organisation_names({e["organisation_id"] for e in entries if e["organisation_id"]})
        chunk = []
        for entry in entries:
            row = audit_row(entry, names, labels.Names())
            at = row.at.astimezone(dt.UTC) if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
            chunk.append(
                _csv_line(
                    [
                        at.isoformat(timespec="seconds"),
                        row.organisation_id or "",
                        row.organisation_name,
                        row.actor_person_id or "",
                        row.actor_label,
                        row.action,
                        row.object_type,
                        row.object_id,
                        "; ".join(
                            f"{c.field}: {c.old} → {c.new}" for c in diff(entry["before"], entry["after"])
                        ),
                        json.dumps(entry["before"], ensure_ascii=False)
                        if entry["before"] is not None
                        else "",
                        json.dumps(entry["after"], ensure_ascii=False) if entry["after"] is not None else "",
                        row.client_address,
                    ]
                )
            )
        yield "".join(chunk)
        if len(entries) < EXPORT_BATCH:
            return
        last_id = entries[-1]["id"]
