"""Handlers of the tenant domain for domain events (src/core/events.py)."""

from __future__ import annotations

from typing import Any

from src.core import events
from src.core.tenancy import Actor


@events.subscribe(events.MEMBERSHIP_DEACTIVATING)
async def keep_a_signer(
    actor: Actor, organisation_id: int, membership: dict[str, Any], confirmations: frozenset[str], **_: Any
) -> None:
    """Rule MOD-2: deactivating the holder of the organisation's last signing right needs the
    explicit confirmation "last_signer"; without it the deactivation is refused (409)."""
    from src.tenants.services import rights

    if rights.LAST_SIGNER in confirmations:
        return
    if await rights.last_signer_at_risk(organisation_id, membership["id"]):
        raise rights.LastSignerConflict(rights.last_signer_message(membership.get("name", "")))
