"""The banners above every page (rules AG-5, AG-8, MOD-9): loaded before a full page's handler
runs and rendered with the page, so they need no JavaScript and never shift the page; an
announcement is dismissed for the rest of the session."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from src.core.tenancy import Actor
from src.core.web import BANNERS, is_partial, page, redirect, session_of
from src.identity.auth import current_actor, provide_actor
from src.tenants.services import announcements
from src.tenants.services.banners import current_banners

# Paths that never answer a page with banners: no banner queries for them.
NO_PAGE = ("/api/", "/static/", "/pki/", "/ocsp", "/schema", "/health", "/banners", "/favicon")


def dismissed_in(request: Request[Any, Any, Any]) -> set[int]:
    return {int(x) for x in session_of(request).get(announcements.SESSION_KEY, []) if str(x).isdigit()}


async def load_for_page(request: Request[Any, Any, Any]) -> None:
    """Before the handler of a full page a signed-in person asks for: their banners, for
    src/core/web.page() to render (an htmx partial keeps the banners the page already has)."""
    if request.method != "GET" or is_partial(request) or request.url.path.startswith(NO_PAGE):
        return
    actor = await current_actor(request)
    if actor is not None:
        request.scope.setdefault("state", {})[BANNERS] = await current_banners(actor, dismissed_in(request))


@get("/banners", include_in_schema=False)
async def banners(request: Request[Any, Any, Any]) -> Template:
    """The banners alone, for a part of a page that refreshes them."""
    actor = await current_actor(request)
    found = await current_banners(actor, dismissed_in(request))
    return page(request, "core/_banners.html", {"banners": found})


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


ROUTES: list[Any] = [banners, dismiss]
PAGE_HOOKS: list[Any] = [load_for_page]
