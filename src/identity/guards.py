"""Access checks shared by the controllers of every domain, as Litestar dependencies:
`Provide(provide_vendor_admin)` gives the route the signed-in actor, and answers 403 to anyone
but a vendor admin; `Provide(provide_contact_person)` answers 403 to anyone but a contact person
of the organisation acted for (or a vendor admin). Both answer 401, or the sign-in page, to
nobody signed in."""

from __future__ import annotations

from typing import Any

from litestar import Request

from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.identity.auth import provide_actor


async def provide_vendor_admin(request: Request[Any, Any, Any]) -> Actor:
    actor = await provide_actor(request)
    require_vendor_admin(actor)
    return actor


async def provide_contact_person(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in actor when they act as a contact person of their organisation (a vendor
    admin acting for one passes too). Someone acting for no organisation yet passes: the page
    sends them to choose one first."""
    actor = await provide_actor(request)
    if actor.organisation_id is not None:
        TenantScope(actor, actor.organisation_id).require_contact_person()
    return actor
