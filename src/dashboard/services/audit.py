"""Reading the audit log (its CSV export: audit_csv.py).

The audit log is read here and written only by src.core.audit (rows are append-only).
Vendor admins read every row; a contact person reads the rows of the organisation they act
for (scoped like every tenant-owned read: TenantScope, then organisation_id == theirs);
end users read none."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from piccolo.query import Select

from src.core.errors import Forbidden
from src.core.i18n import _, timezone_for
from src.core.ids import parse_id
from src.core.paging import page_in_reach
from src.core.tenancy import Actor, TenantScope
from src.dashboard import repository
from src.dashboard.services import labels
from src.subscriptions.services.subscriptions import catalogue
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


def json_fields(value: Any) -> dict[str, Any]:
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
    old, new = json_fields(before), json_fields(after)
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
    services = await catalogue(include_inactive=True)
    return labels.Names(
        services={s["code"]: s["name"] for s in services},
        variants={v["code"]: v["name"] for s in services for v in s.get("variants", [])},
        country=country,
    )


async def viewer_country(actor: Actor) -> str | None:
    if actor.organisation_id is None:
        return None
    row = (
        await Organisation.select(Organisation.country)
        .where(Organisation.id == actor.organisation_id)
        .first()
    )
    return row["country"] if row else None


async def audit_query(
    actor: Actor, filters: AuditFilters, country: str | None, before_id: int | None = None
) -> Select | None:
    """The filtered select, newest first; None when the filters cannot match anything."""
    limit = audit_organisation_limit(actor)
    organisation_ids = None
    if limit is None and filters.organisation:
        organisation_ids = await _matching_organisations(filters.organisation)
        if not organisation_ids:
            return None
    person_id, person_text = None, ""
    if filters.person:
        number = filters.person.lstrip("#")
        if number.isdigit():
            person_id = parse_id(number)
            if person_id is None:
                return None  # no person has that number
        else:
            person_text = filters.person
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    return repository.audit_entries(
        actor,
        organisation_ids=organisation_ids,
        action=filters.action,
        person_id=person_id,
        person_text=person_text,
        start=_day_start(start, country) if start else None,
        end=_day_start(end + dt.timedelta(days=1), country) if end else None,
        before_id=before_id,
    )


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
        query = query.where(repository.contains(Organisation.name, text))
    return [row["id"] for row in await query]


async def organisation_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in(list(ids))
    )
    return {row["id"]: row["name"] for row in rows}


def audit_row(entry: dict[str, Any], names: dict[int, str], catalogue_names: labels.Names) -> AuditRow:
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
    country = await viewer_country(actor)
    query = await audit_query(actor, filters, country)
    entries: list[dict[str, Any]] = []
    if query is not None:
        entries = await query.offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    has_next = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    names = await organisation_names({e["organisation_id"] for e in entries if e["organisation_id"]})
    catalogue_names = await _names(country) if entries else labels.Names(country=country)
    actions: list[str] = []
    if with_actions:
        actions = await known_actions(actor)
    return AuditPage(
        rows=[audit_row(e, names, catalogue_names) for e in entries],
        filters=filters,
        page=filters.page,
        has_next=has_next,
        all_organisations=limit is None,
        country=country,
        actions=actions,
    )


async def known_actions(actor: Actor) -> list[str]:
    """The actions that occur, for the filter's choices."""
    return await repository.known_actions(actor)
