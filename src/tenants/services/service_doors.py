"""The portal's doors to the services that run elsewhere: `/services/{code}` (rules AG-4, AG-5;
src/tenants/controllers/agreements.py) says what a user may do in the service and what the
organisation lacks. The healthcare services used under the customer agreement (Webcert, the care
procurement portal) have one; what the portal delivers itself (UZI server certificates) and the
managed IT services do not. The pages of an organisation's services link to their doors."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import Actor, TenantScope
from src.tenants.catalogue import offer


def has_door(service: dict[str, Any]) -> bool:
    return service.get("category") == "healthcare" and bool(service.get("requires_agreement"))


async def door_codes() -> set[str]:
    """The codes of the catalogue's services that have a door."""
    return {s["code"] for s in await offer().catalogue() if has_door(s)}


async def doors_of(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The services with a door the organisation subscribes to today (`code`, `name`), in the
    catalogue's order."""
    TenantScope(actor, organisation_id)  # another organisation's answers 404
    subscribed = await offer().subscribed_service_codes(organisation_id)
    return [
        {"code": s["code"], "name": s["name"]}
        for s in await offer().catalogue()
        if has_door(s) and s["code"] in subscribed
    ]
