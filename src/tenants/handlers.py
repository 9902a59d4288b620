"""Handlers of the tenant domain for domain events (src/core/events.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from src.core import events
from src.core.tenancy import Actor
from src.identity import directory
from src.identity.auth import current_actor
from src.tenants.repository import sign_in
from src.tenants.services import invitations, rights
from src.tenants.services.people import save_locale


@events.subscribe(events.MEMBERSHIP_DEACTIVATING)
async def keep_a_signer(
    actor: Actor, organisation_id: int, membership: dict[str, Any], confirmations: frozenset[str], **_: Any
) -> None:
    """Rule MOD-2: deactivating the holder of the organisation's last signing right needs the
    explicit confirmation "last_signer"; without it the deactivation is refused (409)."""
    if rights.LAST_SIGNER in confirmations:
        return
    if await rights.last_signer_at_risk(actor, organisation_id, membership["id"]):
        raise rights.LastSignerConflict(rights.last_signer_message(membership.get("name", "")))


@events.subscribe(events.LOCALE_CHOSEN)
async def remember_locale(request: Request[Any, Any, Any], locale: str, **_: Any) -> None:
    """The language a signed-in person chose is kept on the person."""
    actor = await current_actor(request)
    if actor is not None:
        await save_locale(actor, locale)


# What the identity domain, below this one, asks of it at sign-in and on every request.
directory.register(
    directory.Directory(
        member_actor=sign_in.member_actor,
        person_actor=sign_in.person_actor,
        organisations_of=sign_in.organisations_of,
        person_signing_in=sign_in.person_signing_in,
        memberships_of=sign_in.memberships_of,
        invitations_of=invitations.invitations_of,
        accept_invitation=invitations.accept,
        decline_invitation=invitations.decline,
    )
)
