"""Background work of the tenant domain."""

from __future__ import annotations

import datetime as dt

from src.core import mail
from src.core.i18n import _, current_locale, language_of
from src.settings import get_settings
from src.tenants.services import compliance
from src.tenants.tables import Membership
from src.workers import scheduler
from src.workers.broker import async_actor


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


@scheduler.every("compliance.legacy_reminders", seconds=3600)
async def legacy_reminders_job() -> None:
    """Hourly: remind organisations whose users still work under the older terms (AG-3)."""
    await compliance.send_legacy_reminders()
