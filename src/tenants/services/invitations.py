"""Invitations: a user added to an organisation waits for the person's consent.

A contact person adds a user by the identifier they sign in with; the membership is pending
(`Membership.pending`, not active) until the person signs in and accepts it. Declining or
withdrawing leaves no membership. Until then the person has no access to the organisation, and
the organisation sees only what it entered itself (src/tenants/services/users.py).

The person's side is read by the person, across organisations, like their memberships at
sign-in (src/identity/services.py): every query (src/tenants/repository/memberships.py) is bound
to the person or to the organisation the invitation is of.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from src.core import audit, db
from src.core.errors import Conflict, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.tenants.repository import memberships


async def invitations_of(person_id: int) -> list[dict[str, Any]]:
    """The invitations a person has not answered yet, of organisations that are active."""
    return await memberships.pending_invitations_of(person_id)


async def _invitation_for(person_id: int, membership_id: int, address: str) -> tuple[Actor, dict[str, Any]]:
    """The person's own pending invitation, and the person as actor for its organisation."""
    row = await memberships.pending_invitation(person_id, membership_id)
    if row is None or row["organisation_status"] != "active" or not row["person_active"]:
        raise NotFound(_("This invitation does not exist, or it was withdrawn."))
    # Named in the organisation's audit log as the organisation entered the name.
    actor = Actor(
        person_id=person_id,
        name=row["name"],
        organisation_id=row["organisation"],
        membership_id=row["id"],
        role=row["role"],
        client_address=address,
        organisation_name=row["organisation_name"],
    )
    return actor, row


def _entered(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "email": row["email"], "role": row["role"]}


async def accept(person_id: int, membership_id: int, address: str = "") -> Actor:
    """The person accepts: from now on they are an active user of the organisation."""
    async with db.transaction():
        actor, row = await _invitation_for(person_id, membership_id, address)
        scope = TenantScope(actor, row["organisation"])
        # The organisation may have invited the person twice (by number and by card id), or the
        # vendor may have registered them meanwhile: one membership remains.
        others = await memberships.other_memberships_of_person(scope, person_id, membership_id)
        for other in others:
            if other["pending"]:
                await memberships.remove_pending(scope, other["id"])
        member = next((o["id"] for o in others if not o["pending"]), None)
        if member is not None:
            await memberships.remove_pending(scope, membership_id)
            return dataclasses.replace(actor, membership_id=member)
        if not await memberships.accept_pending(scope, membership_id):
            raise NotFound(_("This invitation does not exist, or it was withdrawn."))
        await audit.record(
            actor,
            "tenants.invitation_accepted",
            organisation_id=row["organisation"],
            object_type="membership",
            object_id=membership_id,
            after=_entered(row),
        )
    return actor


async def decline(person_id: int, membership_id: int, address: str = "") -> str:
    """The person declines: no membership is left. Returns the organisation's name."""
    async with db.transaction():
        actor, row = await _invitation_for(person_id, membership_id, address)
        if not await memberships.remove_pending(TenantScope(actor, row["organisation"]), membership_id):
            raise NotFound(_("This invitation does not exist, or it was withdrawn."))
        await audit.record(
            actor,
            "tenants.invitation_declined",
            organisation_id=row["organisation"],
            object_type="membership",
            object_id=membership_id,
            before=_entered(row),
        )
    return str(row["organisation_name"])


async def withdraw(actor: Actor, organisation_id: int, membership_id: int) -> dict[str, Any]:
    """A contact person withdraws an invitation that is still waiting: no membership is left."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    async with db.transaction():
        row = await memberships.membership(scope, membership_id, "name", "email", "role", "pending")
        if not row["pending"]:
            raise Conflict(
                _(
                    "%(name)s has already accepted the invitation; deactivate them instead.",
                    name=row["name"],
                )
            )
        if not await memberships.remove_pending(scope, membership_id):
            raise Conflict(_("%(name)s has just answered the invitation.", name=row["name"]))
        await audit.record(
            actor,
            "tenants.invitation_withdrawn",
            organisation_id=organisation_id,
            object_type="membership",
            object_id=membership_id,
            before=_entered(row),
        )
    return row
