"""Orders that wait for security (rule BIL-11): an organisation a vendor admin asked for
security orders as usual, but the subscription is stored as "awaiting_security" (not in force,
not billed) and an advance invoice for its first month is made (src/billing/services/advance.py).
Once that invoice is paid, `start` puts the order in force: from the day ordered, or from the day
of payment when that is later."""

from __future__ import annotations

import datetime as dt

from src.core import audit, clock, db
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.services import letters
from src.subscriptions.services.subscriptions import organisation_of
from src.subscriptions.tables import Subscription


async def start(actor: Actor, organisation_id: int, subscription_id: int, today: dt.date) -> bool:
    """Put an order waiting for security in force (in the caller's transaction, when the advance
    invoice has been paid); whether it was waiting."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    async with db.transaction():
        row = await repository.subscription(scope, subscription_id)
        starts_on = max(row["starts_on"], today)
        changed = await (
            Subscription.update(
                {
                    Subscription.status: "active",
                    Subscription.starts_on: starts_on,
                    Subscription.updated_at: clock.now(),
                }
            )
            .where(Subscription.id == subscription_id)
            .where(Subscription.organisation == organisation_id)
            .where(Subscription.status == repository.AWAITING_SECURITY)
            .returning(Subscription.id)
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
            after={"status": "active", "starts_on": starts_on},
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
