"""The users of an organisation as the certificates domain reads them: the holder of a
certificate, and the contact persons a revocation notice goes to."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import CONTACT_PERSON, TenantScope
from src.tenants.tables import Membership


async def member(scope: TenantScope, membership_id: int) -> dict[str, Any] | None:
    """A user (membership) of the organisation, active or not."""
    return await scope.select(Membership).where(Membership.id == membership_id).first()


async def holder(scope: TenantScope, membership_id: int) -> dict[str, Any]:
    """The number and name of a certificate's holder; NotFound when not of the organisation."""
    return await scope.get(Membership, membership_id, Membership.id, Membership.name)


async def active_members(scope: TenantScope) -> list[dict[str, Any]]:
    return list(
        await scope.select(Membership, Membership.id, Membership.name, Membership.email)
        .where(Membership.active.eq(True))
        .order_by(Membership.name)
    )


async def contact_person_emails(scope: TenantScope) -> list[dict[str, Any]]:
    """The e-mail addresses of the organisation's active contact persons."""
    return await (
        scope.select(Membership, Membership.email)
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active == True)  # noqa: E712
    )
