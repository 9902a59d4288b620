"""A user who leaves before the deadline is told how to handle the records they created (rule AG-7).

A user leaves when a contact person deactivates them (src/tenants/services/user_changes.update_user).
If their organisation then still lacks the customer agreement or the subscription for a service
whose earlier terms of use have not ended yet (src/tenants/services/compliance.gaps), the leaver
gets one mail: per such service, that the records they created there stay with the organisation,
that the organisation can export them until the deadline, and whom to ask (its contact persons).

The mail is written at the moment of leaving, in the leaver's language (their saved preference,
else their organisation's language), and queued in the deactivation's transaction; its dedupe key
names the membership and the moment, so one deactivation never sends it twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import mail, outbox
from src.core.i18n import LOCALES, _, current_locale, format_date, language_of
from src.core.tenancy import Actor, TenantScope
from src.tenants.repository import memberships
from src.tenants.services import compliance, organisations

MAIL_ACTOR = "send_mail"


def dedupe_key(membership_id: int, left_at: dt.datetime) -> str:
    return f"leaver-notice:{membership_id}:{left_at.astimezone(dt.UTC).isoformat()}"


def leaver_language(saved: str | None, country: str | None) -> str:
    if saved in LOCALES:
        return str(saved)
    return language_of(country)


def notice_text(
    *,
    name: str,
    organisation: str,
    gaps: list[compliance.Gap],
    contacts: list[dict[str, Any]],
) -> tuple[str, str]:
    """Subject and body of the mail, in the current locale."""
    subject = _(
        "You no longer work in the care portal for %(organisation)s: the records you created",
        organisation=organisation,
    )
    lines = [
        _(
            "A contact person of %(organisation)s has deactivated your user account in the care portal.",
            organisation=organisation,
        ),
        _("This is how to handle the records you created that are stored in our database:"),
        "",
    ]
    for gap in gaps:
        lines += [
            f"{gap.service_name}:",
            "- "
            + _(
                "The records you created in %(service)s stay with %(organisation)s; they are not deleted "
                "because you leave.",
                service=gap.service_name,
                organisation=organisation,
            ),
            "- "
            + _(
                "%(organisation)s can read and export them, also after %(date)s, when the earlier terms "
                "of use of %(service)s end and no new records can be created there without a customer "
                "agreement and a subscription.",
                organisation=organisation,
                date=format_date(gap.deadline),
                service=gap.service_name,
            ),
            "",
        ]
    if contacts:
        lines.append(
            _(
                "If you need a record you created, or have questions about them, ask the head of operations "
                "or local administrator, a contact person of %(organisation)s:",
                organisation=organisation,
            )
        )
        lines += [f"- {c['name']} <{c['email']}>" if c["email"] else f"- {c['name']}" for c in contacts]
    else:
        lines.append(
            _(
                "If you need a record you created, or have questions about them, ask the head of operations "
                "or local administrator of %(organisation)s.",
                organisation=organisation,
            )
        )
    return subject, mail.letter(_("Dear %(name)s,", name=name), lines)


async def notify_leaver(
    actor: Actor, organisation_id: int, membership: dict[str, Any], left_at: dt.datetime
) -> bool:
    """Call inside the deactivation's transaction. Queues the mail when the organisation lacks
    agreement or subscription for a service whose deadline has not passed; returns whether it did."""
    if not membership.get("email"):
        return False
    scope = TenantScope(actor, organisation_id)
    organisation = await organisations.get_organisation(actor, organisation_id)
    leaver = await memberships.person_locale(scope, membership["id"])
    token = current_locale.set(leaver_language(leaver["locale"], organisation["country"]))
    try:
        # Service names come in the leaver's language, so the gaps are read in it too.
        open_gaps = [g for g in await compliance.gaps(actor, organisation_id) if not g.past_deadline]
        if not open_gaps:
            return False
        contacts = await memberships.other_active_contact_persons(scope, membership["id"])
        subject, body = notice_text(
            name=membership["name"],
            organisation=organisation["name"],
            gaps=sorted(open_gaps, key=lambda g: (g.deadline, g.service_name)),
            contacts=contacts,
        )
    finally:
        current_locale.reset(token)
    await outbox.enqueue(
        MAIL_ACTOR,
        {"to": [membership["email"]], "subject": subject, "body": body},
        dedupe_key(membership["id"], left_at),
    )
    return True
