"""Access checks shared by the controllers of every domain, as Litestar dependencies:
`Provide(provide_vendor_admin)` gives the route the signed-in actor, and answers 403 to anyone
but a vendor admin (401, or the sign-in page, to nobody signed in)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from src.core.tenancy import Actor, require_vendor_admin
from src.identity.auth import provide_actor


async def provide_vendor_admin(request: Request[Any, Any, Any]) -> Actor:
    actor = await provide_actor(request)
    require_vendor_admin(actor)
    return actor
