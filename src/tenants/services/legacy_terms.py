"""Ending legacy terms (rules AG-2, AG-3): a vendor admin announces for a service that the older
per-user terms of use end after a notice period (default six months); the announcement sets the
deadline. What an organisation then lacks is src/tenants/services/compliance.py's to say; the
reminder mails before the deadline are sent by src/tenants/tasks.py."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from src.core import audit, db
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.services.compliance import _service, _today, service_name
from src.tenants.tables import LegacyTermsNotice

DEFAULT_NOTICE_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def announce_legacy_end(
    actor: Actor, *, service_code: str, announced_on: Any = None, notice_months: Any = DEFAULT_NOTICE_MONTHS
) -> dict[str, Any]:
    """A vendor admin announces that the legacy terms of a service end after the notice period."""
    require_vendor_admin(actor)
    errors: dict[str, str] = {}
    service = await _service((service_code or "").strip())
    if service is None:
        errors["service_code"] = _("Choose a service of the catalogue.")
    try:
        months = int(str(notice_months).strip() or DEFAULT_NOTICE_MONTHS)
        if not 1 <= months <= 36:
            raise ValueError
    except ValueError:
        errors["notice_months"] = _("Enter a notice period of 1 to 36 months.")
        months = DEFAULT_NOTICE_MONTHS
    start = _today()
    if announced_on:
        try:
            start = (
                announced_on
                if isinstance(announced_on, dt.date)
                else dt.date.fromisoformat(str(announced_on))
            )
        except ValueError:
            errors["announced_on"] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise InputError(errors)
    assert service is not None
    async with db.transaction():
        if await LegacyTermsNotice.exists().where(LegacyTermsNotice.service_code == service["code"]):
            raise InputError(
                {"service_code": _("The end of the legacy terms of this service is already announced.")}
            )
        deadline = add_months(start, months)
        created = await LegacyTermsNotice.insert(
            LegacyTermsNotice(
                service_code=service["code"],
                announced_on=start,
                notice_months=months,
                deadline=deadline,
                created_by=actor.person_id or None,
            )
        ).returning(LegacyTermsNotice.id)
        await audit.record(
            actor,
            "compliance.legacy_end_announced",
            organisation_id=None,
            object_type="legacy_terms_notice",
            object_id=created[0]["id"],
            after={
                "service": service["code"],
                "announced_on": start,
                "notice_months": months,
                "deadline": deadline,
            },
        )
    row = await LegacyTermsNotice.select().where(LegacyTermsNotice.id == created[0]["id"]).first()
    assert row is not None
    return row


async def list_notices() -> list[dict[str, Any]]:
    rows = await LegacyTermsNotice.select().order_by(LegacyTermsNotice.deadline)
    for row in rows:
        row["service_name"] = service_name(await _service(row["service_code"]), row["service_code"])
    return rows
