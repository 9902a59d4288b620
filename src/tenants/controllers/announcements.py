"""Announcements (rule MOD-9): vendor admins publish them (/admin/announcements); signed-in
users see them in the banners (src/tenants/controllers/agreements.py `/banners`) and dismiss
them for the session here."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from src.core.errors import InputError
from src.core.i18n import LOCALES, _
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import flash, is_partial, page, redirect, session_of
from src.identity.auth import provide_actor
from src.tenants.services import announcements

Form = URLEncodedBody[dict[str, str]]
FIELDS = ("starts_on", "ends_on", "audience", "service_code", "country", *[f"text_{loc}" for loc in LOCALES])


def dismissed_in(request: Request[Any, Any, Any]) -> set[int]:
    return {int(x) for x in session_of(request).get(announcements.SESSION_KEY, []) if str(x).isdigit()}


@post(
    "/banners/announcements/{announcement_id:int}/dismiss",
    include_in_schema=False,
    dependencies={"actor": Provide(provide_actor)},
)
async def dismiss(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], announcement_id: FromPath[int]
) -> Response[Any]:
    """Hide an announcement for the rest of this session."""
    dismissed = dismissed_in(request) | {announcement_id}
    request.session[announcements.SESSION_KEY] = sorted(dismissed)[-200:]
    if is_partial(request):
        return Response(content="", status_code=200, media_type="text/html")
    return redirect(request, "/")


async def provide_vendor_admin(request: Request[Any, Any, Any]) -> Actor:
    actor = await provide_actor(request)
    require_vendor_admin(actor)
    return actor


class AnnouncementsAdmin(Controller):
    path = "/admin/announcements"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        from src.subscriptions.services import catalogue

        return page(
            request,
            "tenants/admin_announcements.html",
            {
                "announcements": await announcements.list_all(actor),
                "services": await catalogue(),
                "values": values or {"audience": "everyone"},
                "errors": errors or {},
                "locales": LOCALES,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def publish(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {f: data.get(f) or "" for f in FIELDS}
        try:
            await announcements.publish(
                actor,
                texts={loc: values[f"text_{loc}"] for loc in LOCALES},
                starts_on=values["starts_on"],
                ends_on=values["ends_on"],
                audience=values["audience"],
                service_code=values["service_code"],
                country=values["country"],
            )
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, 422)
        flash(request, _("The announcement is published."))
        return redirect(request, "/admin/announcements")


ROUTES: list[Any] = [AnnouncementsAdmin, dismiss]
