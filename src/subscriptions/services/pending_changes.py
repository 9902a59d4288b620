"""The changes of subscriptions still to take effect, across every organisation (vendor admins):
each scheduled downgrade, upgrade, cancellation or move with its organisation, its service and
variant, from what to what, and the day it takes effect, the earliest first."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.services import subscriptions as catalogue


async def pending_changes(actor: Actor) -> list[dict[str, Any]]:
    """Every scheduled change, sorted by the day it takes effect, with names to show."""
    require_vendor_admin(actor)
    rows = await repository.scheduled_changes(actor)
    if not rows:
        return []
    names: dict[int, tuple[str, str]] = {}
    for service in await catalogue.catalogue(include_inactive=True):
        for variant in service["variants"]:
            names[int(variant["id"])] = (service["name"], variant["name"])
    shown = []
    for row in rows:
        variant = int(row["from_variant"] or row["variant"])
        service_name, variant_name = names.get(variant, ("", ""))
        to_variant = int(row["to_variant"] or variant)
        shown.append(
            {
                **row,
                "service_name": service_name,
                "variant_name": variant_name,
                "to_variant_name": names.get(to_variant, ("", ""))[1],
                "variant_changes": to_variant != variant,
            }
        )
    return shown
