"""The banners above every page of a signed-in user: what their organisation lacks (rules AG-5,
AG-8) and the vendor's announcements.

Pages load them through htmx from `/banners` (base.html), so no page waits for their queries.
Rule AG-5 says "at every sign-in", which must hold without JavaScript too: at sign-in the
banners of that moment are kept in the session, and the first full page shows them inline
(and does not load them again)."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import Actor
from src.tenants.services import announcements, compliance

AT_SIGN_IN = "banners_at_sign_in"


async def current_banners(actor: Actor | None, dismissed: set[int]) -> list[dict[str, Any]]:
    return await compliance.banners_for(actor) + await announcements.banners_for(actor, dismissed)


async def keep_for_first_page(session: dict[str, Any], actor: Actor | None) -> None:
    """Called at sign-in and when a person chooses the organisation they act for. Without
    banners nothing is kept, so the session is not written again for nothing."""
    banners = await current_banners(actor, set())
    if banners:
        session[AT_SIGN_IN] = banners
    else:
        session.pop(AT_SIGN_IN, None)


def banner_context(request: Any, partial: bool) -> dict[str, Any]:
    """Called by src/core/web.page() (synchronous): the banners kept at sign-in for the first
    full page, else where the page loads them from."""
    state = request.scope.get("state", {}) if hasattr(request, "scope") else {}
    if state.get("actor") is None:
        return {}
    session = request.scope.get("session")
    if not partial and isinstance(session, dict) and AT_SIGN_IN in session:
        return {"banners": session.pop(AT_SIGN_IN), "banners_url": None}
    return {"banners_url": "/banners"}
