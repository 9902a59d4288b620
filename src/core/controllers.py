"""Routes of the shared kit: health, readiness, the language switcher, the home page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from src.core import db, events
from src.core.i18n import LOCALES
from src.core.web import local_path, redirect, session_of
from src.settings import get_settings
from src.workers.broker import broker_reachable


@get("/health", include_in_schema=False, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", include_in_schema=False)
async def ready() -> Response[dict[str, Any]]:
    database = await db.ping()
    broker = await broker_reachable()
    ok = database and broker
    return Response(
        content={"status": "ok" if ok else "unavailable", "database": database, "broker": broker},
        status_code=200 if ok else 503,
    )


@post("/language", include_in_schema=False)
async def set_language(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    """The switcher on every page: remembered in a cookie, and on the person when signed in."""
    locale = data.get("locale", "")
    response = redirect(request, local_path(data.get("next")))
    if locale in LOCALES:
        response.set_cookie(
            "lang",
            locale,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
        )
        if session_of(request):
            request.session["locale"] = locale
        await events.publish(events.LOCALE_CHOSEN, request=request, locale=locale)
    return response


ROUTES = [health, ready, set_language]
