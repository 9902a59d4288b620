"""Orders that wait for security (rule BIL-11): an organisation a vendor admin asked for
security orders as usual, but the subscription is stored as "awaiting_security" (not in force,
not billed) and an advance invoice for its first month is made (src/billing/services/advance.py).
Once that invoice is paid, `start` puts the order in force: from the day ordered, or from the day
of payment when that is later; the advance pays for its first month from then, so the monthly
invoices bill it from the day after (`paid_in_advance_until`, services/billable.py)."""

from __future__ import annotations

import calendar
import datetime as dt

from src.core import audit, clock, db
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.services import letters
from src.subscriptions.services.subscriptions import organisation_of


def first_month_last_day(day: dt.date) -> dt.date:
    """The last day of the month of service that starts on `day` (what the advance pays for)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    same_day = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return same_day - dt.timedelta(days=1)


async def start(actor: Actor, organisation_id: int, subscription_id: int, today: dt.date) -> bool:
    """Put an order waiting for security in force (in the caller's transaction, when the advance
    invoice has been paid); whether it was waiting."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    async with db.transaction():
        row = await repository.subscription(scope, subscription_id)
        starts_on = max(row["starts_on"], today)
        changed = await repository.start_secured_order(
            scope, subscription_id, starts_on, first_month_last_day(starts_on), clock.now()
        )
        if not changed:
            return False
        await audit.record(
            actor,
            "subscriptions.subscription_security_paid",
            organisation_id=organisation_id,
            object_type="subscription",
            object_id=subscription_id,
            before={"status": repository.AWAITING_SECURITY, "starts_on": row["starts_on"]},
            after={
                "status": "active",
                "starts_on": starts_on,
                "paid_in_advance_until": first_month_last_day(starts_on),
            },
        )
        organisation = await organisation_of(organisation_id)

        def compose() -> tuple[str, list[str]]:
            return _("Your order starts: the advance is paid"), [
                _(
                    "Thank you: the advance invoice is paid, so your order is in force from %(date)s.",
                    date=format_date(starts_on),
                ),
                letters.subscriptions_url(),
            ]

        await letters.tell_contact_persons(actor, organisation, f"order-started:{subscription_id}", compose)
    return True
