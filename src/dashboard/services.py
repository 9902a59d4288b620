"""Reading the audit log, the local mail catcher and the deliveries that failed.

The audit log is read here and written only by src.core.audit (rows are append-only).
Vendor admins read every row; a contact person reads the rows of the organisation they act
for (scoped like every tenant-owned read: TenantScope, then organisation_id == theirs);
end users read none."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Where
from piccolo.query import Select

from src.core import audit, db, outbox
from src.core.errors import Forbidden, NotFound, PortalError
from src.core.i18n import _, timezone_for
from src.core.ids import parse_id
from src.core.paging import page_in_reach
from src.core.tables import AuditEntry, CaughtAttachment, CaughtMail, OutboxMessage
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.dashboard import labels
from src.tenants.tables import Organisation

PAGE_SIZE = 50
EXPORT_BATCH = 1000
ORGANISATION_MATCH_LIMIT = 500


# --- who may read which rows --------------------------------------------------------------------


def audit_organisation_limit(actor: Actor) -> int | None:
    """None for a vendor admin (every row); else the one organisation whose rows the actor reads.

    An end user, or someone acting for no organisation, may not read the audit log."""
    if actor.is_vendor_admin:
        return None
    if actor.organisation_id is None:
        raise Forbidden()
    scope = TenantScope(actor, actor.organisation_id)
    scope.require_contact_person()
    return scope.organisation_id


# --- filters ------------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    organisation: str = ""  # name, KvK number, organisationsnummer, or #id (vendor admins only)
    action: str = ""  # prefix, e.g. "tenants." or "identity.signed_in"
    person: str = ""  # part of the actor's name, or a person's number
    date_from: str = ""  # YYYY-MM-DD, in the viewer's time zone
    date_to: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (for pager and export links)."""
        values = {
            "organisation": self.organisation,
            "action": self.action,
            "person": self.person,
            "from": self.date_from,
            "to": self.date_to,
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}

    def describe(self) -> dict[str, str]:
        return {k: v for k, v in self.query().items() if k != "page"}


# The dates a filter can name: a day's bounds in any time zone stay within what a date holds.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


def parse_audit_filters(params: dict[str, str | None]) -> AuditFilters:
    """Read the filter form; a value that cannot be used is reported and left out."""

    def text(name: str, limit: int = 120) -> str:
        return (params.get(name) or "").strip()[:limit]

    filters = AuditFilters(
        organisation=text("organisation"),
        action=text("action", 100).replace("%", ""),
        person=text("person"),
        date_from=text("from", 10),
        date_to=text("to", 10),
    )
    try:
        filters.page = page_in_reach(int(params.get("page") or 1), PAGE_SIZE)
    except ValueError:
        filters.page = 1
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        value = getattr(filters, attr)
        day = _parse_date(value)
        if value and day is None:
            filters.errors[name] = _("Enter a date as YYYY-MM-DD.")
        elif day and not EARLIEST_DATE <= day <= LATEST_DATE:
            filters.errors[name] = _(
                "Enter a date between %(earliest)s and %(latest)s.",
                earliest=EARLIEST_DATE.isoformat(),
                latest=LATEST_DATE.isoformat(),
            )
        if name in filters.errors:
            setattr(filters, attr, "")
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    if start and end and start > end:
        filters.errors["to"] = _("The end date lies before the start date.")
        filters.date_to = ""
    return filters


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _contains(column: Column, text: str) -> Where:
    """Case-insensitive 'contains' on both engines (SQLite's LIKE ignores ASCII case)."""
    pattern = f"%{text}%"
    return column.ilike(pattern) if db.is_postgres() else column.like(pattern)


# --- reading the audit log ---------------------------------------------------------------------


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class AuditRow:
    id: int
    at: dt.datetime
    actor_label: str
    actor_name: str  # who acted, as the reader reads it (no person number, the portal's own by name)
    actor_person_id: int | None
    organisation_id: int | None
    organisation_name: str
    action: str
    action_label: str  # the action in the reader's language; the code when it has no label
    object_type: str
    object_label: str
    object_id: str
    client_address: str
    changes: list[Change]  # labelled in the reader's language (the CSV keeps the stored codes)


@dataclass
class AuditPage:
    rows: list[AuditRow]
    filters: AuditFilters
    page: int
    has_next: bool
    all_organisations: bool  # the viewer sees every organisation (a vendor admin)
    country: str | None  # whose time zone the times are shown in
    actions: list[str] = field(default_factory=list)

    @property
    def action_groups(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """The filter's choices: each group of actions, and each action, by label."""
        actions = self.actions
        if self.filters.action and self.filters.action not in actions:
            actions = [*actions, self.filters.action]  # chosen by a link: keep it shown
        return labels.action_groups([a for a in actions if not a.endswith(".")])

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.rows) - 1


def show_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"": value}
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"": value}


def _changed(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Every field that differs, as (field, old, new) (a created object has no old values)."""
    old, new = _json(before), _json(after)
    keys = list(dict.fromkeys([*old, *new]))
    return [
        (key, old.get(key), new.get(key))
        for key in keys
        if key not in old or key not in new or old[key] != new[key]
    ]


def diff(before: Any, after: Any) -> list[Change]:
    """Every field that differs, as stored: field: old → new."""
    return [Change(key, show_value(old), show_value(new)) for key, old, new in _changed(before, after)]


def _readable(value: Any) -> str:
    """A labelled value as text; a group of values (a dict) as `label: value` pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_readable(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value) or "—"
    return show_value(value)


def readable_diff(
    before: Any, after: Any, object_type: str = "", names: labels.Names | None = None
) -> list[Change]:
    """The same changes with fields and coded values (roles, statuses, services, dates, ...) in
    the reader's language; a field or value without a label is shown as stored."""
    return [
        Change(
            labels.field_label(key, object_type),
            _readable(labels.value_label(key, old, object_type, names)),
            _readable(labels.value_label(key, new, object_type, names)),
        )
        for key, old, new in _changed(before, after)
    ]


async def _names(country: str | None) -> labels.Names:
    """The catalogue's names by code, in the reader's language, for the rows that name them."""
    from src.subscriptions.services import catalogue

    services = await catalogue(include_inactive=True)
    return labels.Names(
        services={s["code"]: s["name"] for s in services},
        variants={v["code"]: v["name"] for s in services for v in s.get("variants", [])},
        country=country,
    )


async def _viewer_country(actor: Actor) -> str | None:
    if actor.organisation_id is None:
        return None
    row = (
        await Organisation.select(Organisation.country)
        .where(Organisation.id == actor.organisation_id)
        .first()
    )
    return row["country"] if row else None


async def _audit_query(actor: Actor, filters: AuditFilters, country: str | None) -> Select | None:
    """The filtered select, newest first; None when the filters cannot match anything."""
    limit = audit_organisation_limit(actor)
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).output(load_json=True)
    if limit is not None:
        query = query.where(AuditEntry.organisation_id == limit)
    elif filters.organisation:
        ids = await _matching_organisations(filters.organisation)
        if not ids:
            return None
        query = query.where(AuditEntry.organisation_id.is_in(ids))
    if filters.action:
        query = query.where(AuditEntry.action.like(f"{filters.action}%"))
    if filters.person:
        number = filters.person.lstrip("#")
        if number.isdigit():
            person_id = parse_id(number)
            if person_id is None:
                return None  # no person has that number
            query = query.where(AuditEntry.actor_person_id == person_id)
        else:
            query = query.where(_contains(AuditEntry.actor_label, filters.person))
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    if start:
        query = query.where(AuditEntry.at >= _day_start(start, country))
    if end:
        query = query.where(AuditEntry.at < _day_start(end + dt.timedelta(days=1), country))
    return query


def _day_start(day: dt.date, country: str | None) -> dt.datetime:
    """Midnight in the viewer's time zone, in UTC (SQLite compares the stored text)."""
    return dt.datetime.combine(day, dt.time(), timezone_for(country)).astimezone(dt.UTC)


async def _matching_organisations(text: str) -> list[int]:
    number = text.lstrip("#")
    if text.startswith("#") and number.isdigit():
        return [found] if (found := parse_id(number)) else []
    query = Organisation.select(Organisation.id).limit(ORGANISATION_MATCH_LIMIT)
    compact = text.replace(" ", "").replace("-", "")
    if compact.isdigit():
        # A Swedish organisationsnummer (10 or 12 digits) is no id: only numbers that can be one
        # are compared with the ids.
        matches = (
            (Organisation.kvk_number == compact)
            | (Organisation.org_number == compact)
            | (Organisation.agb_code == compact)
        )
        if (found := parse_id(compact)) is not None:
            matches |= Organisation.id == found
        query = query.where(matches)
    else:
        query = query.where(_contains(Organisation.name, text))
    return [row["id"] for row in await query]


async def _organisation_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in(list(ids))
    )
    return {row["id"]: row["name"] for row in rows}


def _row(entry: dict[str, Any], names: dict[int, str], catalogue_names: labels.Names) -> AuditRow:
    org = entry["organisation_id"]
    return AuditRow(
        id=entry["id"],
        at=entry["at"],
        actor_label=entry["actor_label"],
        actor_name=labels.actor_name(entry["actor_label"]),
        actor_person_id=entry["actor_person_id"],
        organisation_id=org,
        organisation_name=names.get(org, f"#{org}") if org is not None else "",
        action=entry["action"],
        action_label=labels.action_label(entry["action"]),
        object_type=entry["object_type"],
        object_label=labels.object_label(entry["object_type"]),
        object_id=entry["object_id"],
        client_address=entry["client_address"],
        changes=readable_diff(entry["before"], entry["after"], entry["object_type"], catalogue_names),
    )


async def audit_page(actor: Actor, filters: AuditFilters, *, with_actions: bool = False) -> AuditPage:
    """One page (50 rows) of the audit log the actor may read, newest first."""
    limit = audit_organisation_limit(actor)
    country = await _viewer_country(actor)
    query = await _audit_query(actor, filters, country)
    entries: list[dict[str, Any]] = []
    if query is not None:
        entries = await query.offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    has_next = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    names = await _organisation_names({e["organisation_id"] for e in entries if e["organisation_id"]})
    catalogue_names = await _names(country) if entries else labels.Names(country=country)
    actions: list[str] = []
    if with_actions:
        actions = await known_actions(limit)
    return AuditPage(
        rows=[_row(e, names, catalogue_names) for e in entries],
        filters=filters,
        page=filters.page,
        has_next=has_next,
        all_organisations=limit is None,
        country=country,
        actions=actions,
    )


async def known_actions(organisation_id: int | None) -> list[str]:
    """The actions that occur, for the filter's choices."""
    query = AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action).limit(500)
    if organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == organisation_id)
    return [row["action"] for row in await query]


# --- CSV export ---------------------------------------------------------------------------------

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
    country = await _viewer_country(actor)
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
        query = await _audit_query(actor, filters, country)
        if query is None:
            return
        if last_id is not None:
            query = query.where(AuditEntry.id < last_id)
        entries = await query.limit(EXPORT_BATCH)
        if not entries:
            return
        names = await _organisation_names({e["organisation_id"] for e in entries if e["organisation_id"]})
        chunk = []
        for entry in entries:
            row = _row(entry, names, labels.Names())
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
    payload = _json(row["payload"])
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
