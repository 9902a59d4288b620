"""Ending legacy terms (rules AG-2, AG-3): a vendor admin announces for a service that the older
per-user terms of use end. An announcement has the day it was announced (`announced_on`, which may
lie in the past: a letter sent earlier is recorded after the fact) and the day the terms end
(`ends_on`, the deadline), at least the notice period (six months) after it. A vendor admin
corrects a wrong announcement or withdraws one before its deadline; a withdrawn one is kept for
history and no longer counts. At most one announcement per service is in force (not withdrawn,
deadline not passed).

What an organisation then lacks is src/tenants/services/compliance.py's to say; the reminder
mails before the deadline, and the mails telling the organisations concerned of a correction or
a withdrawal, are sent by src/tenants/tasks.py (through the outbox, after commit)."""

from __future__ import annotations

import calendar
import datetime as dt
import zlib
from typing import Any

from src.core import audit, db, outbox
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.services.compliance import _service, _today, service_name
from src.tenants.tables import LegacyTermsNotice

# AG-3: the notice period of 003. The catalogue has no notice period of its own per service for
# ending legacy terms (a variant's `notice_months` is the notice of a subscription, SUB-3).
NOTICE_MONTHS = 6
# Dates further from today than this are typing errors (1900-01-01), not announcements.
PLAUSIBLE_YEARS = 10
CHANGE_ACTOR = "tell_legacy_terms_change"


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def earliest_end(announced_on: dt.date, months: int = NOTICE_MONTHS) -> dt.date:
    """The first day the legacy terms may end when announced on `announced_on` (AG-3)."""
    return add_months(announced_on, months)


def in_force(row: dict[str, Any], today: dt.date | None = None) -> bool:
    """Not withdrawn and its deadline not reached (from `ends_on` on the terms have ended)."""
    return row["withdrawn_at"] is None and (today or _today()) < row["ends_on"]


def state_of(row: dict[str, Any], today: dt.date | None = None) -> str:
    """ "withdrawn", "ended" (the deadline has come), "in_force", or "scheduled" (announced for a
    later day: organisations are not told yet)."""
    today = today or _today()
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    if today >= row["ends_on"]:
        return "ended"
    return "in_force" if row["announced_on"] <= today else "scheduled"


def _date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            errors[field] = _("Enter a date as YYYY-MM-DD.")
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            errors[field] = _("Enter a date as YYYY-MM-DD.")
            return None
    today = _today()
    if abs(day.year - today.year) > PLAUSIBLE_YEARS:
        errors[field] = _("Enter a date within %(years)d years of today.", years=PLAUSIBLE_YEARS)
        return None
    return day


def _dates(announced_on: Any, ends_on: Any) -> tuple[dt.date, dt.date]:
    """Both dates, checked against the notice period (AG-3); raises InputError naming each field."""
    errors: dict[str, str] = {}
    start = _date(announced_on, "announced_on", errors)
    end = _date(ends_on, "ends_on", errors)
    if start is not None and end is not None and end < earliest_end(start):
        errors["ends_on"] = _(
            "The legacy terms end at the earliest %(months)d months after the announcement: on "
            "%(date)s or later.",
            months=NOTICE_MONTHS,
            date=format_date(earliest_end(start)),
        )
    if errors:
        raise InputError(errors)
    assert start is not None and end is not None
    return start, end


async def _lock(service_code: str) -> None:
    """One writer per service at a time, so two announcements never both pass the check for one in
    force. SQLite's immediate transaction already serialises writers."""
    if db.is_postgres():
        await db.engine().run_ddl(
            f"SELECT pg_advisory_xact_lock(727010, {zlib.crc32(service_code.encode()) & 0x7FFFFFFF})"
        )


async def _in_force_for(service_code: str, today: dt.date) -> dict[str, Any] | None:
    return (
        await LegacyTermsNotice.select()
        .where(LegacyTermsNotice.service_code == service_code)
        .where(LegacyTermsNotice.withdrawn_at.is_null())
        .where(LegacyTermsNotice.ends_on > today)
        .first()
    )


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    return {"service": row["service_code"], "announced_on": row["announced_on"], "deadline": row["ends_on"]}


async def announce(actor: Actor, *, service_code: Any, announced_on: Any, ends_on: Any) -> dict[str, Any]:
    """Record an announcement: 422 (InputError) naming `service`, `announced_on` or `ends_on`;
    409 (Conflict) when the service has one in force."""
    require_vendor_admin(actor)
    errors: dict[str, str] = {}
    service = await _service(str(service_code or "").strip())
    if service is None:
        errors["service"] = _("Choose a service of the catalogue.")
    try:
        start, end = _dates(announced_on, ends_on)
    except InputError as exc:
        errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    assert service is not None
    code = service["code"]
    async with db.transaction():
        await _lock(code)
        current = await _in_force_for(code, _today())
        if current is not None:
            raise Conflict(
                _(
                    "The end of the legacy terms of %(service)s is already announced (for %(date)s). "
                    "Correct that announcement, or withdraw it first.",
                    service=service_name(service, code),
                    date=format_date(current["ends_on"]),
                )
            )
        created = await LegacyTermsNotice.insert(
            LegacyTermsNotice(
                service_code=code, announced_on=start, ends_on=end, created_by=actor.person_id or None
            )
        ).returning(*LegacyTermsNotice.all_columns())
        row = created[0]
        await audit.record(
            actor,
            "compliance.legacy_end_announced",
            organisation_id=None,
            object_type="legacy_terms_notice",
            object_id=row["id"],
            after=_audited(row),
        )
    return await _named(row)


async def announce_legacy_end(
    actor: Actor, *, service_code: str, announced_on: Any = None, notice_months: int = NOTICE_MONTHS
) -> dict[str, Any]:
    """Announce that the legacy terms end `notice_months` (at least the notice period) after
    `announced_on` (default today)."""
    errors: dict[str, str] = {}
    start = _date(announced_on or _today(), "announced_on", errors)
    if start is None:
        raise InputError(errors)
    return await announce(
        actor, service_code=service_code, announced_on=start, ends_on=add_months(start, notice_months)
    )


async def get(actor: Actor, notice_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    row = await LegacyTermsNotice.select().where(LegacyTermsNotice.id == notice_id).first()
    if row is None:
        raise NotFound(_("There is no such announcement."))
    return await _named(row)


async def correct(
    actor: Actor, notice_id: int, *, announced_on: Any = None, ends_on: Any = None
) -> dict[str, Any]:
    """Correct the dates of an announcement (a date left out stays). The notice period holds as
    when it was made (422). A withdrawn one, or one whose deadline has come, answers 409. The
    organisations told of it are told of the correction (once)."""
    before = await get(actor, notice_id)
    start, end = _dates(
        before["announced_on"] if announced_on is None else announced_on,
        before["ends_on"] if ends_on is None else ends_on,
    )
    async with db.transaction():
        await _lock(before["service_code"])
        current = await LegacyTermsNotice.select().where(LegacyTermsNotice.id == notice_id).first()
        assert current is not None
        _require_in_force(current)
        if (start, end) == (current["announced_on"], current["ends_on"]):
            return await _named(current)
        changed = await (
            LegacyTermsNotice.update(
                {
                    LegacyTermsNotice.announced_on: start,
                    LegacyTermsNotice.ends_on: end,
                    LegacyTermsNotice.revision: current["revision"] + 1,
                }
            )
            .where(LegacyTermsNotice.id == notice_id)
            .returning(*LegacyTermsNotice.all_columns())
        )
        row = changed[0]
        before_audit, after_audit = audit.changes(_audited(current), _audited(row))
        await audit.record(
            actor,
            "compliance.legacy_end_corrected",
            organisation_id=None,
            object_type="legacy_terms_notice",
            object_id=notice_id,
            before=before_audit,
            after=after_audit,
        )
        await _tell(current, row, "corrected", change_key(notice_id, "corrected", row["revision"]))
    return await _named(row)


async def withdraw(actor: Actor, notice_id: int) -> dict[str, Any]:
    """Withdraw an announcement before its deadline (after it, or a second time: 409). The row
    stays, with `withdrawn_at`; the organisations told of it are told of the withdrawal (once)."""
    before = await get(actor, notice_id)
    async with db.transaction():
        await _lock(before["service_code"])
        current = await LegacyTermsNotice.select().where(LegacyTermsNotice.id == notice_id).first()
        assert current is not None
        _require_in_force(current)
        changed = await (
            LegacyTermsNotice.update({LegacyTermsNotice.withdrawn_at: dt.datetime.now(dt.UTC)})
            .where(LegacyTermsNotice.id == notice_id)
            .where(LegacyTermsNotice.withdrawn_at.is_null())
            .returning(*LegacyTermsNotice.all_columns())
        )
        row = changed[0]
        await audit.record(
            actor,
            "compliance.legacy_end_withdrawn",
            organisation_id=None,
            object_type="legacy_terms_notice",
            object_id=notice_id,
            before=_audited(current),
        )
        await _tell(current, row, "withdrawn", change_key(notice_id, "withdrawn"))
    return await _named(row)


def _require_in_force(row: dict[str, Any]) -> None:
    if row["withdrawn_at"] is not None:
        raise Conflict(_("This announcement was withdrawn; announce the end again instead."))
    if _today() >= row["ends_on"]:
        raise Conflict(
            _(
                "The deadline of this announcement (%(date)s) has come: the legacy terms have ended, "
                "so it can no longer be corrected or withdrawn.",
                date=format_date(row["ends_on"]),
            )
        )


def change_key(notice_id: int, change: str, revision: int = 0) -> str:
    """The outbox key of the message telling of a change (its mails add the membership)."""
    return f"legacy-change:{notice_id}:{change}" + (f":{revision}" if change == "corrected" else "")


async def _tell(before: dict[str, Any], after: dict[str, Any], change: str, key: str) -> None:
    """Queue the mails to the organisations concerned, when they had been told of the
    announcement (its day had come); each organisation's contact persons get one mail per change."""
    if before["announced_on"] > _today():
        return
    await outbox.enqueue(
        CHANGE_ACTOR,
        {
            "notice_id": after["id"],
            "change": change,
            "service_code": after["service_code"],
            "before": {
                "announced_on": before["announced_on"].isoformat(),
                "ends_on": before["ends_on"].isoformat(),
            },
            "after": {
                "announced_on": after["announced_on"].isoformat(),
                "ends_on": after["ends_on"].isoformat(),
            },
        },
        key,
    )


async def _named(row: dict[str, Any]) -> dict[str, Any]:
    row["service_name"] = service_name(await _service(row["service_code"]), row["service_code"])
    row["state"] = state_of(row)
    return row


async def list_notices(actor: Actor) -> list[dict[str, Any]]:
    """Every announcement, withdrawn ones too (history): latest deadline first."""
    require_vendor_admin(actor)
    rows = await LegacyTermsNotice.select().order_by(
        LegacyTermsNotice.ends_on, LegacyTermsNotice.id, ascending=False
    )
    return [await _named(row) for row in rows]
