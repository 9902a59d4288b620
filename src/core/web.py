"""Page and API plumbing shared by every controller: rendering, flash messages, errors."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Request, Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from src.core.errors import InputError, NotFound, PortalError
from src.core.i18n import LANGUAGE_NAMES, LOCALES, _, current_locale, pick_locale
from src.core.ids import is_id
from src.core.tenancy import Actor

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def is_partial(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that swaps part of a page (boosted requests want the whole page)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def use_language_of(request: Request[Any, Any, Any]) -> None:
    """Answer in the person's saved language, else the `lang` cookie's, else the browser's."""
    session = request.scope.get("session")
    current_locale.set(
        pick_locale(
            session.get("locale") if isinstance(session, dict) else None,
            request.cookies.get("lang"),
            request.headers.get("accept-language"),
        )
    )


def refuse_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """A path that names a row by a number no row can have (`/api/v1/organisations/10**30`)
    answers 404 like any other missing row, on every route, before a handler queries it."""
    for value in request.path_params.values():
        if type(value) is int and not is_id(value):
            raise NotFound()


# How deep a JSON body may nest its arrays and objects. The portal's own bodies nest three levels;
# the parser recurses once per level and gives up far deeper, with an error, not an answer.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nests_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests deeper than `limit`, read without parsing it: its strings left
    out, its brackets kept, the innermost pairs taken away once per level."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    for _level in range(limit):
        inner = _INNERMOST.sub(b"", brackets)
        if inner == brackets:
            return False
        brackets = inner
    return _INNERMOST.search(brackets) is not None


class UnsupportedBody(PortalError):
    status_code = 415


_FORMS = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))


def refuse_unexpected_body(request: Request[Any, Any, Any]) -> None:
    """A body in a form a route does not take (a form to a JSON route, JSON or plain text to a
    form) answers 415 saying what the route takes, before anyone tries to read it."""
    if request.method not in _BODY_METHODS:
        return
    sent = request.content_type[0]
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if not sent or data is None:
        return
    takes = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if takes == RequestEncodingType.JSON:
        if sent != "application/json" and not sent.endswith("+json"):
            raise UnsupportedBody(_("Send the body as JSON, with Content-Type: application/json."))
    elif sent not in _FORMS:
        raise UnsupportedBody(_("Send the body as a form (application/x-www-form-urlencoded)."))


# A JSON string's U+0000, `\u0000`, and not the text `\\u0000` (an escaped backslash before "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))


async def refuse_unstorable_text(request: Request[Any, Any, Any]) -> None:
    """Text must be UTF-8 without U+0000: PostgreSQL refuses to store or compare U+0000 (and
    SQLite would store it silently), and a JSON body that is no UTF-8 cannot be read. A request
    that carries such text in its path, query, form fields or body is refused as bad input on
    both databases, before a handler reads it."""
    scope = request.scope
    if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
        raise PortalError(_("Text may not contain the NUL character (U+0000)."))
    if request.method not in _BODY_METHODS:
        return
    content_type = request.content_type[0]
    if content_type == "multipart/form-data":
        found = any(isinstance(v, str) and "\x00" in v for v in (await request.form()).values())
    elif content_type == "application/x-www-form-urlencoded":
        found = b"%00" in await request.body()
    else:  # JSON, whatever the client called it
        body = await request.body()
        try:
            body.decode()
        except UnicodeDecodeError:
            raise PortalError(_("The request's text is not valid UTF-8.")) from None
        if nests_too_deep(body):
            raise PortalError(_("The JSON nests deeper than %(limit)s levels.", limit=MAX_JSON_DEPTH))
        found = _JSON_NUL.search(body) is not None
    if found:
        raise PortalError(_("Text may not contain the NUL character (U+0000)."))


def choose_organisation_first(
    request: Request[Any, Any, Any], actor: Actor, vendor_admins_to: str = "/admin/organisations"
) -> Response[Any]:
    """Where a page of one's own organisation sends someone with none chosen: a vendor admin to
    `vendor_admins_to` (their overview of all organisations), anyone else to the choice of
    organisation."""
    return redirect(request, vendor_admins_to if actor.is_vendor_admin else "/choose-organisation")


# Where a page hook leaves the banners of the page being asked for (see page()).
BANNERS = "banners"


def session_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The session as a dict; empty (and not stored) when there is none."""
    session = request.scope.get("session")
    return session if isinstance(session, dict) else {}


def flash(request: Request[Any, Any, Any], message: str, category: str = "success") -> None:
    messages = list(session_of(request).get("flash", []))
    messages.append({"message": message, "category": category})
    request.session["flash"] = messages


def take_flashes(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    session = session_of(request)
    return list(session.pop("flash", [])) if "flash" in session else []


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status_code: int = 200,
) -> Template:
    """A full document, or for an htmx swap the partial template when one is given."""
    name = partial if (partial and is_partial(request)) else template
    ctx: dict[str, Any] = {
        "request": request,
        "actor": request.scope.get("state", {}).get("actor"),
        "locale": current_locale.get(),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        "flashes": take_flashes(request),
    }
    # Every full page shows the banners a page hook loaded for it (rules AG-5, MOD-9).
    if not is_partial(request):
        ctx["banners"] = request.scope.get("state", {}).get(BANNERS)
    ctx.update(context or {})
    # The same URL answers a page or a partial: caches must tell them apart. What a session sees
    # is stored nowhere: after sign-out, the back button must not show it again.
    headers = {"Vary": "HX-Request"}
    if ctx["actor"] is not None or session_of(request):
        headers["Cache-Control"] = "no-store"
    return Template(
        template_name=name,
        context=ctx,
        status_code=status_code,
        headers=headers,
        # known here; Litestar would otherwise guess it from the file name on every response
        media_type=MediaType.HTML if name.endswith(".html") else None,
    )


_UNSAFE_IN_PATH = re.compile(r"[\\\x00-\x1f\x7f]")


def local_path(value: str | None) -> str:
    """A path on this site to send someone back to, else "/". Browsers read a backslash as a
    slash and drop tabs and new lines, so `/\\evil.example` and `/<tab>/evil.example` lead to
    another site just as `//evil.example` does."""
    if value and value.startswith("/") and not value.startswith("//") and not _UNSAFE_IN_PATH.search(value):
        return value
    return "/"


def redirect(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """Redirect a normal request; tell htmx to navigate instead of swapping a 302."""
    if is_partial(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": path})
    return Redirect(path=path, status_code=303)


def content_disposition(filename: str) -> str:
    """`attachment` with the file's name: plain ASCII for every client, and the name as it is
    (RFC 6266, `filename*`) for those that read UTF-8."""
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", filename) or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An error answer of the API (RFC 9457, `application/problem+json`): `title` names the kind
    of error in the reader's language (Accept-Language), `detail` says what was wrong, `errors`
    names each invalid field. The schema documents this shape (src/core/api_docs.py)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


def problem(status: int, title: str, detail: str = "", errors: dict[str, str] | None = None) -> Response[Any]:
    body = Problem(
        type="about:blank",
        title=title,
        status=status,
        detail=detail or None,
        errors=[FieldProblem(field=k, message=v) for k, v in errors.items()] if errors else None,
    )
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON)


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Sign-in required"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        415: _("Unsupported content type"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }


def _error_page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    return page(
        request,
        "core/error.html",
        {"status": status, "title": _titles().get(status, _("Error")), "detail": detail},
        status_code=status,
    )


def handle_portal_error(request: Request[Any, Any, Any], exc: PortalError) -> Response[Any]:
    use_language_of(request)
    status = exc.status_code
    errors = exc.errors if isinstance(exc, InputError) else None
    if is_api(request):
        return problem(status, _titles().get(status, _("Error")), exc.message, errors)
    return _error_page(request, status, exc.message)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    # Also for a path no route matches, where no before-request hook has chosen the language.
    use_language_of(request)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and not is_api(request):
        target = "/signin"
        if request.method == "GET" and not is_partial(request):
            target = f"/signin?next={request.url.path}"
        return redirect(request, target)
    if is_api(request):
        errors: dict[str, str] | None = None
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            errors = {
                str(item.get("key") or item.get("source") or "body"): str(item.get("message", ""))
                for item in exc.extra
                if isinstance(item, dict)
            }
        detail = exc.detail if status < 500 else ""
        response = problem(status, _titles().get(status, _("Error")), detail, errors)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    detail = exc.detail if status in (400, 403, 429) and exc.detail else ""
    if isinstance(exc, PermissionDeniedException) and detail.startswith("CSRF"):
        detail = _(
            "The form was sent without its security token, for instance after a long pause or from "
            "an old tab. Reload the page and send the form again."
        )
    response = _error_page(request, status, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    use_language_of(request)
    if is_api(request):
        return problem(HTTP_500_INTERNAL_SERVER_ERROR, _titles()[500])
    return Response(
        content=_("Something went wrong. Please try again later."),
        status_code=500,
        media_type=MediaType.TEXT,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    PortalError: handle_portal_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
