"""Vendor-wide announcements (rule MOD-9): a vendor admin publishes a text in Dutch, Swedish and
English with a from and to date and an audience (everyone, one service's users, one country);
signed-in users see it as a banner until they dismiss it for the session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit, db
from src.core.errors import InputError
from src.core.i18n import LOCALES, _, current_locale, timezone_for
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.tables import Announcement, Organisation

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
    from src.subscriptions.services import service_by_code

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
    if audience == "service" and await service_by_code(service_code) is None:
        errors["service_code"] = _("Choose a service of the catalogue.")
    if audience == "country" and country not in COUNTRIES:
        errors["country"] = _("Choose the Netherlands or Sweden.")
    if errors:
        raise InputError(errors)
    async with db.transaction():
        created = await Announcement.insert(
            Announcement(
                text_nl=cleaned["nl"],
                text_sv=cleaned["sv"],
                text_en=cleaned["en"],
                starts_on=start,
                ends_on=end,
                audience=audience,
                service_code=service_code,
                country=country,
                created_by=actor.person_id or None,
            )
        ).returning(Announcement.id)
        await audit.record(
            actor,
            "announcements.published",
            organisation_id=None,
            object_type="announcement",
            object_id=created[0]["id"],
            after={
                "starts_on": start,
                "ends_on": end,
                "audience": audience,
                "service": service_code,
                "country": country,
            },
        )
    row = await Announcement.select().where(Announcement.id == created[0]["id"]).first()
    assert row is not None
    return row


async def list_all(actor: Actor) -> list[dict[str, Any]]:
    require_vendor_admin(actor)
    return await Announcement.select().order_by(Announcement.starts_on, ascending=False)


async def current_for(actor: Actor | None, dismissed: set[int] | None = None) -> list[dict[str, Any]]:
    """The announcements a signed-in user sees today, minus those dismissed this session."""
    if actor is None:
        return []
    country = None
    subscribed: set[str] = set()
    if actor.organisation_id is not None:
        from src.subscriptions.services import subscribed_service_codes

        org = (
            await Organisation.select(Organisation.country)
            .where(Organisation.id == actor.organisation_id)
            .first()
        )
        country = org["country"] if org else None
        subscribed = await subscribed_service_codes(actor.organisation_id)
    today = dt.datetime.now(timezone_for(country)).date()
    rows = (
        await Announcement.select()
        .where(Announcement.starts_on <= today)
        .where(Announcement.ends_on >= today)
        .order_by(Announcement.starts_on)
    )
    locale = current_locale.get()
    result = []
    for row in rows:
        if row["id"] in (dismissed or set()):
            continue
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
