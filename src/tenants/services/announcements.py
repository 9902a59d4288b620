"""Vendor-wide announcements (rule MOD-9): a vendor admin publishes a text in Dutch, Swedish and
English with a from and to date and an audience (everyone, one service's users, one country);
signed-in users see it as a banner until they dismiss it for the session. A vendor admin
corrects a running announcement or withdraws it (it stays listed, shown to nobody)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale, timezone_for
from src.core.prepared import Prepared
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.catalogue import offer
from src.tenants.tables import Announcement

AUDIENCES = ("everyone", "service", "country")
COUNTRIES = ("NL", "SE")
SESSION_KEY = "dismissed_announcements"


def _date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


async def _cleaned(
    texts: dict[str, str], starts_on: Any, ends_on: Any, audience: str, service_code: str, country: str
) -> dict[str, Any]:
    """The fields of an announcement, checked; raises InputError naming each wrong field."""
    errors: dict[str, str] = {}
    cleaned = {loc: (texts.get(loc) or "").strip() for loc in LOCALES}
    for loc, text in cleaned.items():
        if not text:
            errors[f"text_{loc}"] = _("Enter the text in this language.")
        elif len(text) > 1000:
            errors[f"text_{loc}"] = _("Use at most 1000 characters.")
    start, end = _date(starts_on, "starts_on", errors), _date(ends_on, "ends_on", errors)
    if start and end and end < start:
        errors["ends_on"] = _("The last day cannot be before the first day.")
    if audience not in AUDIENCES:
        errors["audience"] = _("Choose everyone, one service's users or one country.")
    service_code = (service_code or "").strip() if audience == "service" else ""
    country = (country or "").strip().upper() if audience == "country" else ""
    if audience == "service" and await offer().service_by_code(service_code) is None:
        errors["service_code"] = _("Choose a service of the catalogue.")
    if audience == "country" and country not in COUNTRIES:
        errors["country"] = _("Choose the Netherlands or Sweden.")
    if errors:
        raise InputError(errors)
    return {
        **{f"text_{loc}": text for loc, text in cleaned.items()},
        "starts_on": start,
        "ends_on": end,
        "audience": audience,
        "service_code": service_code,
        "country": country,
    }


def _audited(fields: dict[str, Any]) -> dict[str, Any]:
    """What an audit row keeps of an announcement: its dates and audience (the texts are long)."""
    return {
        "starts_on": fields["starts_on"],
        "ends_on": fields["ends_on"],
        "audience": fields["audience"],
        "service": fields["service_code"],
        "country": fields["country"],
    }


async def publish(
    actor: Actor,
    *,
    texts: dict[str, str],
    starts_on: Any,
    ends_on: Any,
    audience: str = "everyone",
    service_code: str = "",
    country: str = "",
) -> dict[str, Any]:
    require_vendor_admin(actor)
    fields = await _cleaned(texts, starts_on, ends_on, audience, service_code, country)
    async with db.transaction():
        created = await Announcement.insert(
            Announcement(**fields, created_by=actor.person_id or None)
        ).returning(Announcement.id)
        row = await Announcement.select().where(Announcement.id == created[0]["id"]).first()
        assert row is not None
        await audit.record(
            actor,
            "announcements.published",
            organisation_id=None,
            object_type="announcement",
            object_id=row["id"],
            after=_audited(row),
        )
    return row


async def get(actor: Actor, announcement_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    row = await Announcement.select().where(Announcement.id == announcement_id).first()
    if row is None:
        raise NotFound(_("There is no such announcement."))
    return row


async def update(
    actor: Actor,
    announcement_id: int,
    *,
    texts: dict[str, str],
    starts_on: Any,
    ends_on: Any,
    audience: str = "everyone",
    service_code: str = "",
    country: str = "",
) -> dict[str, Any]:
    """Correct an announcement (its texts, days or audience). A withdrawn one stays withdrawn."""
    before = await get(actor, announcement_id)
    if before["withdrawn_at"] is not None:
        raise Conflict(_("This announcement was withdrawn; publish a new one instead."))
    fields = await _cleaned(texts, starts_on, ends_on, audience, service_code, country)
    async with db.transaction():
        changed = await (
            Announcement.update(**fields)
            .where(Announcement.id == announcement_id)
            .where(Announcement.withdrawn_at.is_null())
            .returning(*Announcement.all_columns())
        )
        if not changed:
            raise Conflict(_("This announcement was withdrawn; publish a new one instead."))
        texts_changed = [loc for loc in LOCALES if before[f"text_{loc}"] != changed[0][f"text_{loc}"]]
        await audit.record(
            actor,
            "announcements.changed",
            organisation_id=None,
            object_type="announcement",
            object_id=announcement_id,
            before=_audited(before),
            after={**_audited(changed[0]), "texts_changed": texts_changed},
        )
    return changed[0]


async def withdraw(actor: Actor, announcement_id: int) -> dict[str, Any]:
    """Stop showing an announcement to anyone, at once. It stays in the list, marked withdrawn."""
    await get(actor, announcement_id)
    async with db.transaction():
        changed = await (
            Announcement.update({Announcement.withdrawn_at: dt.datetime.now(dt.UTC)})
            .where(Announcement.id == announcement_id)
            .where(Announcement.withdrawn_at.is_null())
            .returning(*Announcement.all_columns())
        )
        if not changed:
            raise Conflict(_("This announcement was withdrawn already."))
        await audit.record(
            actor,
            "announcements.withdrawn",
            organisation_id=None,
            object_type="announcement",
            object_id=announcement_id,
            before=_audited(changed[0]),
        )
    return changed[0]


def state_of(row: dict[str, Any], today: dt.date) -> str:
    """ "withdrawn", "scheduled" (its first day is still to come), "showing" or "ended"."""
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    if row["starts_on"] > today:
        return "scheduled"
    return "showing" if row["ends_on"] >= today else "ended"


async def list_all(actor: Actor) -> list[dict[str, Any]]:
    require_vendor_admin(actor)
    return await Announcement.select().order_by(Announcement.starts_on, ascending=False)


# Read for every page a signed-in user opens (its banners): built once.
_SHOWING = Prepared(
    lambda p: (
        Announcement.select()
        .where(Announcement.starts_on <= p.today)
        .where(Announcement.ends_on >= p.today)
        .where(Announcement.withdrawn_at.is_null())
        .order_by(Announcement.starts_on)
    )
)


async def current_for(actor: Actor | None, dismissed: set[int] | None = None) -> list[dict[str, Any]]:
    """The announcements a signed-in user sees today, minus those dismissed this session."""
    if actor is None:
        return []
    # The actor knows its organisation's country; the subscriptions are read only when an
    # announcement is for one service's users (most pages have no announcement at all).
    country = (actor.organisation_country or None) if actor.organisation_id is not None else None
    today = dt.datetime.now(timezone_for(country)).date()
    rows = [row for row in await _SHOWING.rows(today=today) if row["id"] not in (dismissed or set())]
    subscribed: set[str] = set()
    if actor.organisation_id is not None and any(row["audience"] == "service" for row in rows):
        subscribed = await offer().subscribed_service_codes(actor.organisation_id)
    locale = current_locale.get()
    result = []
    for row in rows:
        if row["audience"] == "country" and row["country"] != country:
            continue
        if row["audience"] == "service" and row["service_code"] not in subscribed:
            continue
        result.append({**row, "text": row.get(f"text_{locale}") or row["text_en"]})
    return result


async def banners_for(actor: Actor | None, dismissed: set[int] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "kind": "announcement",
            "level": "info",
            "title": _("Announcement"),
            "text": a["text"],
            "link": "",
            "link_text": "",
            "dismiss_url": f"/banners/announcements/{a['id']}/dismiss",
        }
        for a in await current_for(actor, dismissed)
    ]
