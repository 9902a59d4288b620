"""The demo data's reads and writes of tenant-owned rows (memberships, agreements signed,
subscriptions, module rights).

Seeding acts as no organisation's user: the demo data's actor loads every demo organisation, and
asks of each whether it has a part already, so that a second run changes nothing. These are
the only queries of tenant rows the demo makes; everything else goes through the services."""

from __future__ import annotations

from typing import Any

from src.subscriptions.tables import Subscription, SubscriptionChange
from src.tenants.tables import AgreementAcceptance, Membership, ModuleRight


async def membership_exists(organisation_id: int, person_id: int) -> bool:
    return bool(
        await Membership.exists().where(
            (Membership.organisation == organisation_id) & (Membership.person == person_id)
        )
    )


async def insert_membership(organisation_id: int, person_id: int, *, name: str, email: str, role: str) -> int:
    created = await Membership.insert(
        Membership(
            organisation=organisation_id, person=person_id, name=name, email=email, role=role, active=True
        )
    ).returning(Membership.id)
    return int(created[0]["id"])


async def membership_of(organisation_id: int, person_id: int) -> dict[str, Any] | None:
    return (
        await Membership.select(
            Membership.id, Membership.person, Membership.role, Membership.may_sign_agreements
        )
        .where(Membership.organisation == organisation_id)
        .where(Membership.person == person_id)
        .first()
    )


async def has_signed(organisation_id: int) -> bool:
    return bool(await AgreementAcceptance.exists().where(AgreementAcceptance.organisation == organisation_id))


async def anyone_may_sign(organisation_id: int) -> bool:
    return bool(
        await Membership.exists().where(
            (Membership.organisation == organisation_id) & Membership.may_sign_agreements.eq(True)
        )
    )


async def has_subscriptions(organisation_id: int) -> bool:
    return bool(await Subscription.exists().where(Subscription.organisation == organisation_id))


async def has_rights(organisation_id: int) -> bool:
    return bool(await ModuleRight.exists().where(ModuleRight.organisation == organisation_id))


async def subscription_without_changes(organisation_id: int, service_code: str) -> int | None:
    """The organisation's subscription to the service, if it has never been changed."""
    row = (
        await Subscription.select(Subscription.id)
        .where(Subscription.organisation == organisation_id)
        .where(Subscription.service.code == service_code)
        .first()
    )
    if row is None or await SubscriptionChange.exists().where(SubscriptionChange.subscription == row["id"]):
        return None
    return int(row["id"])
