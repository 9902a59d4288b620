"""Background work of the tenant domain: the invitation mail and the hourly legacy-terms
reminders. They act for no one signed in, so they read memberships across organisations
themselves (named in tests/test_tenancy_structure.py's SYSTEM_MODULES)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from src.core import db, mail, outbox
from src.core.i18n import _, current_locale, format_date, language_of
from src.core.tables import OutboxMessage
from src.core.tenancy import CONTACT_PERSON, SYSTEM
from src.settings import get_settings
from src.tenants.catalogue import offer
from src.tenants.services import legacy_terms
from src.tenants.services.agreements import has_valid_agreement
from src.tenants.services.compliance import (
    Gap,
    _consequence,
    _order_here,
    _service,
    _today,
    _what_is_missing,
    gaps,
    service_name,
)
from src.tenants.tables import LegacyTermsNotice, Membership, Organisation
from src.workers import scheduler
from src.workers.broker import async_actor

REMINDER_DAYS = (90, 30, 7)  # reminder mails this many days before the deadline (and one at once)
MAIL_ACTOR = "send_mail"


def invitation_text(
    *,
    name: str,
    organisation: str,
    invited_by: str,
    portal_url: str,
    has_pin: bool,
    has_card: bool,
    pending: bool = False,
) -> tuple[str, str]:
    """Subject and body of the invitation, in the current locale. `pending`: the person becomes a
    user only by accepting the invitation after signing in."""
    if pending:
        subject = _("You are invited to the care portal of %(organisation)s", organisation=organisation)
    else:
        subject = _("You have been added to the care portal of %(organisation)s", organisation=organisation)
    ways: list[str] = []
    if has_pin:
        ways.append(_("- with your personal e-ID (it carries the personal identity number we registered)"))
    if has_card:
        ways.append(_("- with your professional smart card (it carries the card id we registered)"))
    inviter = invited_by or _("A contact person")
    lines = [
        _(
            "%(inviter)s invited you to become a user of %(organisation)s in the care portal.",
            inviter=inviter,
            organisation=organisation,
        )
        if pending
        else _(
            "%(inviter)s added you as a user of %(organisation)s in the care portal.",
            inviter=inviter,
            organisation=organisation,
        ),
        "",
        _("Sign in at %(url)s", url=portal_url),
        *ways,
        "",
        *(
            [_("After signing in you see the invitation: accept it to become a user, or decline it."), ""]
            if pending
            else []
        ),
        _(
            "You need no password. If you belong to several organisations, you choose one after signing in. "
            "On your profile page you can see and change the e-mail address registered for you."
        ),
        "",
        _("If you did not expect this mail, tell the contact person of your organisation."),
    ]
    return subject, mail.letter(_("Dear %(name)s,", name=name), lines)


@async_actor("send_invitation", max_retries=8)
async def send_invitation(membership_id: int, dedupe_key: str, invited_by: str = "") -> None:
    """Mail a new user how to sign in, in their organisation's language. Sent once per key."""
    row = (
        await Membership.select(
            Membership.id,
            Membership.name,
            Membership.email,
            Membership.pending,
            Membership.invited_pin_masked,
            Membership.invited_card_masked,
            Membership.person.personal_identity_number.as_alias("pin"),
            Membership.person.card_id.as_alias("card_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.country.as_alias("country"),
        )
        .where(Membership.id == membership_id)
        .first()
    )
    if row is None or not row["email"]:
        return
    token = current_locale.set(language_of(row["country"]))
    try:
        subject, body = invitation_text(
            name=row["name"],
            organisation=row["organisation_name"],
            invited_by=invited_by,
            portal_url=f"{get_settings().base_url}/signin",
            # an invitation names only the identifiers the organisation entered
            has_pin=bool(row["invited_pin_masked"] if row["pending"] else row["pin"]),
            has_card=bool(row["invited_card_masked"] if row["pending"] else row["card_id"]),
            pending=row["pending"],
        )
    finally:
        current_locale.reset(token)
    # Sent now, or confirmed sent by an earlier run that died before it could note it.
    await mail.deliver([row["email"]], subject, body, dedupe_key)
    await (
        Membership.update({Membership.invited_at: dt.datetime.now(dt.UTC)})
        .where(Membership.id == membership_id)
        .where(Membership.invited_at.is_null())
    )


# --- reminder mails before the deadline (AG-3) ------------------------------------------------


def _stage(days_left: int) -> str:
    for days in sorted(REMINDER_DAYS):
        if days_left <= days:
            return f"d{days}"
    return "announced"


async def send_legacy_reminders(today: dt.date | None = None) -> int:
    """Queue a reminder to every active contact person of every active organisation that lacks the
    agreement or subscription for a service whose legacy terms end (not withdrawn). Each reminder
    once (the outbox dedupe key names notice, membership, stage and, once corrected, the
    correction). Returns how many were newly queued."""
    day = today or _today()
    notices = (
        await LegacyTermsNotice.select()
        .where(LegacyTermsNotice.announced_on <= day)
        .where(LegacyTermsNotice.withdrawn_at.is_null())
        .where(LegacyTermsNotice.ends_on > day)
    )
    if not notices:
        return 0
    organisations = await Organisation.select(Organisation.id, Organisation.name, Organisation.country).where(
        Organisation.status == "active"
    )
    queued = 0
    for organisation in organisations:
        # The job acts for each organisation in turn.
        acting = replace(SYSTEM, organisation_id=organisation["id"])
        lacking = {g.service_code: g for g in await gaps(acting, organisation["id"], day)}
        contacts = None
        for notice in notices:
            gap = lacking.get(notice["service_code"])
            if gap is None:
                continue
            if contacts is None:
                contacts = await _contacts(organisation["id"])
            stage = _stage((notice["ends_on"] - day).days)
            # The reminders count down to the deadline as corrected (each correction its own);
            # the mail telling of a correction stands in for its first one.
            revision = f":r{notice['revision']}" if notice["revision"] else ""
            if revision and stage == "announced" and await _correction_told(notice):
                continue
            for contact in contacts:
                if not contact["email"]:
                    continue
                key = f"legacy-reminder:{notice['id']}:{contact['id']}:{stage}{revision}"
                if await OutboxMessage.exists().where(OutboxMessage.dedupe_key == key):
                    continue
                token = current_locale.set(language_of(organisation["country"]))
                try:
                    gap_local = replace(
                        gap, service_name=service_name(await _service(gap.service_code), gap.service_code)
                    )
                    subject = _(
                        "Reminder: the terms of use of %(service)s end on %(date)s",
                        service=gap_local.service_name,
                        date=format_date(notice["ends_on"]),
                    )
                    body = mail.letter(
                        _("Dear %(name)s,", name=contact["name"]),
                        [
                            _what_is_missing(gap_local),
                            _consequence(gap_local),
                            "",
                            _order_here(),
                            f"{_portal_url()}/organisation/agreement",
                        ],
                    )
                finally:
                    current_locale.reset(token)
                async with db.transaction():
                    await outbox.enqueue(
                        MAIL_ACTOR, {"to": [contact["email"]], "subject": subject, "body": body}, key
                    )
                queued += 1
    return queued


# --- telling the organisations concerned of a correction or a withdrawal (AG-3) --------------


def _change_text(
    change: str, gap: Gap, before: dict[str, dt.date], after: dict[str, dt.date], name: str
) -> tuple[str, str]:
    """Subject and body of the mail telling a contact person of a corrected or withdrawn
    announcement, in the current locale."""
    if change == "withdrawn":
        subject = _(
            "Withdrawn: the terms of use of %(service)s do not end on %(date)s",
            service=gap.service_name,
            date=format_date(before["ends_on"]),
        )
        lines = [
            _(
                "The announcement that the earlier terms of use of %(service)s end on %(date)s is "
                "withdrawn. Your users keep working under those terms; nothing changes for them now. "
                "Should a new end be announced, you will be told again, with the full notice period.",
                service=gap.service_name,
                date=format_date(before["ends_on"]),
            ),
        ]
    else:
        subject = _(
            "Corrected: the terms of use of %(service)s end on %(date)s",
            service=gap.service_name,
            date=format_date(after["ends_on"]),
        )
        lines = [
            _(
                "The announcement that the earlier terms of use of %(service)s end is corrected: "
                "announced on %(announced)s, they end on %(date)s (before the correction: announced on "
                "%(was_announced)s, ending on %(was_date)s).",
                service=gap.service_name,
                announced=format_date(after["announced_on"]),
                date=format_date(after["ends_on"]),
                was_announced=format_date(before["announced_on"]),
                was_date=format_date(before["ends_on"]),
            ),
            "",
            _what_is_missing(gap),
            _consequence(gap),
        ]
    lines += ["", _order_here(), f"{_portal_url()}/organisation/agreement"]
    return subject, mail.letter(_("Dear %(name)s,", name=name), lines)


@async_actor(legacy_terms.CHANGE_ACTOR, max_retries=8)
async def tell_legacy_terms_change(
    notice_id: int,
    change: str,
    service_code: str,
    before: dict[str, str],
    after: dict[str, str],
    dedupe_key: str,
) -> int:
    """Queue one mail per active contact person of every active organisation that lacks the
    agreement or the subscription for the service (those told of the announcement), in the
    organisation's language. Each mail once (its key names the change and the membership), so a
    second run queues nothing new. Returns how many were newly queued."""
    old = {k: dt.date.fromisoformat(v) for k, v in before.items()}
    new = {k: dt.date.fromisoformat(v) for k, v in after.items()}
    day = _today()
    organisations = await Organisation.select(Organisation.id, Organisation.country).where(
        Organisation.status == "active"
    )
    queued = 0
    for organisation in organisations:
        acting = replace(SYSTEM, organisation_id=organisation["id"])
        agreement = await has_valid_agreement(acting, organisation["id"])
        subscribed = service_code in await offer().subscribed_service_codes(organisation["id"], day)
        if agreement and subscribed:
            continue
        for contact in await _contacts(organisation["id"]):
            key = f"{dedupe_key}:{contact['id']}"
            if not contact["email"] or await OutboxMessage.exists().where(OutboxMessage.dedupe_key == key):
                continue
            token = current_locale.set(language_of(organisation["country"]))
            try:
                gap = Gap(
                    service_code=service_code,
                    service_name=service_name(await _service(service_code), service_code),
                    missing_agreement=not agreement,
                    missing_subscription=not subscribed,
                    deadline=new["ends_on"],
                    past_deadline=day >= new["ends_on"],
                )
                subject, body = _change_text(change, gap, old, new, contact["name"])
            finally:
                current_locale.reset(token)
            async with db.transaction():
                await outbox.enqueue(
                    MAIL_ACTOR, {"to": [contact["email"]], "subject": subject, "body": body}, key
                )
            queued += 1
    return queued


async def _contacts(organisation_id: int) -> list[dict[str, Any]]:
    return list(
        await Membership.select(Membership.id, Membership.name, Membership.email)
        .where(Membership.organisation == organisation_id)
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
    )


async def _correction_told(notice: dict[str, Any]) -> bool:
    key = legacy_terms.change_key(notice["id"], "corrected", notice["revision"])
    return bool(await OutboxMessage.exists().where(OutboxMessage.dedupe_key == key))


def _portal_url() -> str:
    return get_settings().base_url


@scheduler.every("compliance.legacy_reminders", seconds=3600)
async def legacy_reminders_job() -> None:
    """Hourly: remind organisations whose users still work under the older terms (AG-3)."""
    await send_legacy_reminders()
