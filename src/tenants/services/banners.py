"""The banners above every page of a signed-in user: what their organisation lacks (rules AG-5,
AG-8) and the vendor's announcements.

Every full page renders them with its content (src/tenants/controllers/banners.py loads them
before the handler runs), so they need no JavaScript and never shift the page when they arrive."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import Actor
from src.tenants.services import announcements, entitlements


async def current_banners(actor: Actor | None, dismissed: set[int]) -> list[dict[str, Any]]:
    return await entitlements.banners_for(actor) + await announcements.banners_for(actor, dismissed)
