"""Sign-in, choosing an organisation, sign-out."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from src.core.errors import NotFound
from src.core.i18n import _
from src.core.security import RateLimiter, address_bucket, too_many_requests
from src.core.sessions import rotate_session
from src.core.web import flash, local_path, page, redirect, session_of
from src.identity import oidc, services
from src.identity.auth import (
    SESSION_ORGANISATION,
    SESSION_PERSON,
    SESSION_SIGNED_IN_AT,
    build_actor,
    client_address,
    current_actor,
)
from src.settings import IdentityProvider, get_settings

log = logging.getLogger(__name__)

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def _limit_sign_in(request: Request[Any, Any, Any]) -> None:
    limiter = RateLimiter(
        request.app.stores.get("rate_limits"), get_settings().signin_rate_limit, 60, "signin"
    )
    wait = await limiter.hit(address_bucket(client_address(request)))
    if wait:
        raise too_many_requests(_("Too many sign-in attempts. Wait a minute and try again."), wait)


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    actor = await current_actor(request)
    if actor is None:
        # signed in, but a user of no organisation yet: their invitations wait there
        return Redirect("/choose-organisation" if session_of(request).get(SESSION_PERSON) else "/signin")
    if actor.organisation_id:
        return Redirect("/organisation")
    return Redirect("/admin")


@get("/signin", include_in_schema=False)
async def signin_page(
    request: Request[Any, Any, Any], next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Template:
    if next_path:
        request.session["next"] = local_path(next_path)
    return page(request, "identity/signin.html", {"providers": oidc.providers()})


@get("/signin/{name:str}", include_in_schema=False)
async def signin_start(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    provider = oidc.provider_by_name(name)
    if provider is None:
        raise NotFound(_("This way of signing in does not exist."))
    await _limit_sign_in(request)
    try:
        url, pending = await oidc.authorization_request(provider)
    except Exception:
        log.exception("identity provider %s unreachable", provider.name)
        return page(
            request,
            "identity/signin_failed.html",
            {"reason": _("The sign-in service cannot be reached right now. Try again in a few minutes.")},
            status_code=503,
        )
    request.session["oidc"] = pending
    return Redirect(url)


@get("/auth/callback", include_in_schema=False)
async def signin_callback(
    request: Request[Any, Any, Any],
    code: FromQuery[str | None] = None,
    oidc_state: Annotated[str | None, QueryParameter(name="state")] = None,
    error: FromQuery[str | None] = None,
) -> Response[Any]:
    await _limit_sign_in(request)
    pending = session_of(request).pop("oidc", None)
    provider = oidc.provider_by_name(pending["provider"]) if pending else None
    if error or not code or not pending or provider is None:
        reason = _("The sign-in was cancelled or has expired. Please start again.")
        return page(request, "identity/signin_failed.html", {"reason": reason}, status_code=400)
    try:
        claims, id_token = await oidc.redeem(provider, pending, code, oidc_state or "")
    except oidc.SignInError as exc:
        log.warning("sign-in via %s refused: %s", provider.name, exc)
        reason = _("The answer of the sign-in service could not be verified. Please start again.")
        return page(request, "identity/signin_failed.html", {"reason": reason}, status_code=400)
    return await start_session(request, provider, claims, id_token)


async def start_session(
    request: Request[Any, Any, Any], provider: IdentityProvider, claims: dict[str, Any], id_token: str
) -> Response[Any]:
    """What follows once the provider's answer is verified: the person its claims name gets a
    session under a new id and is sent on, or is refused with the reason."""
    result = await services.resolve_sign_in(provider, claims)
    invited = await services.invitations_of(result.person["id"]) if result.person else []
    if not (result.may_enter or invited):
        request.clear_session()
        return page(
            request,
            "identity/unknown_person.html",
            {"result": result, "provider": provider},
            status_code=403,
        )
    assert result.person is not None
    next_path = local_path(session_of(request).get("next"))
    locale = result.person["locale"] or session_of(request).get("locale")
    request.set_session(
        {
            SESSION_PERSON: result.person["id"],
            SESSION_SIGNED_IN_AT: dt.datetime.now(dt.UTC).timestamp(),
            "provider": provider.name,
            "id_token": id_token,
            **({"locale": locale} if locale else {}),
        }
    )
    rotate_session(request)
    if len(result.organisations) == 1 and not result.person["is_vendor_admin"]:
        request.session[SESSION_ORGANISATION] = result.organisations[0]["organisation_id"]
    actor = await build_actor(
        result.person["id"], request.session.get(SESSION_ORGANISATION), client_address(request)
    )
    if actor is not None:
        await services.record_sign_in(actor, provider)
    several = len(result.organisations) > 1 or (result.person["is_vendor_admin"] and result.organisations)
    if invited or several:
        return Redirect("/choose-organisation")
    return Redirect(next_path)


async def _person_for_choice(request: Request[Any, Any, Any]) -> int:
    person_id = session_of(request).get(SESSION_PERSON)
    if not person_id:
        raise NotAuthorizedException()
    return int(person_id)


@get("/choose-organisation", include_in_schema=False)
async def choose_organisation_page(request: Request[Any, Any, Any]) -> Template:
    person_id = await _person_for_choice(request)
    actor = await current_actor(request)
    memberships = [
        m for m in await services.memberships_of(person_id) if m["organisation_status"] == "active"
    ]
    return page(
        request,
        "identity/choose_organisation.html",
        {
            "memberships": memberships,
            "invitations": await services.invitations_of(person_id),
            "current": session_of(request).get(SESSION_ORGANISATION),
            "actor": actor,
        },
    )


@post("/invitations/{membership_id:int}/accept", include_in_schema=False)
async def accept_invitation(request: Request[Any, Any, Any], membership_id: FromPath[int]) -> Response[Any]:
    """The signed-in person accepts an invitation; they act for that organisation from now on."""
    person_id = await _person_for_choice(request)
    accepted = await services.accept_invitation(person_id, membership_id, client_address(request))
    flash(
        request,
        _(
            "You accepted the invitation of %(organisation)s; you act for it now.",
            organisation=accepted.organisation_name,
        ),
    )
    request.session[SESSION_ORGANISATION] = accepted.organisation_id
    if await services.invitations_of(person_id):
        return redirect(request, "/choose-organisation")
    return redirect(request, "/organisation")


@post("/invitations/{membership_id:int}/decline", include_in_schema=False)
async def decline_invitation(request: Request[Any, Any, Any], membership_id: FromPath[int]) -> Response[Any]:
    person_id = await _person_for_choice(request)
    organisation = await services.decline_invitation(person_id, membership_id, client_address(request))
    flash(
        request,
        _(
            "You declined the invitation of %(organisation)s; you did not become a user.",
            organisation=organisation,
        ),
    )
    return redirect(request, "/choose-organisation")


@post("/choose-organisation", include_in_schema=False)
async def choose_organisation(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    person_id = await _person_for_choice(request)
    wanted = data.get("organisation_id", "")
    memberships = [
        m for m in await services.memberships_of(person_id) if m["organisation_status"] == "active"
    ]
    chosen = next((m for m in memberships if str(m["organisation_id"]) == wanted), None)
    if chosen is None and wanted != "":
        raise NotFound(_("You are not a user of that organisation."))
    request.session[SESSION_ORGANISATION] = chosen["organisation_id"] if chosen else None
    actor = await build_actor(person_id, request.session.get(SESSION_ORGANISATION), client_address(request))
    if actor is None:
        raise NotAuthorizedException()
    return redirect(request, local_path(request.session.pop("next", None)))


END_SESSION = "end_session_url"


@post("/signout", include_in_schema=False)
async def signout(request: Request[Any, Any, Any]) -> Response[Any]:
    """End the session here, then show the portal's own signed-out page in every browser.

    The portal's CSP has `form-action 'self'`, and browsers apply it to the redirects that follow
    a form post: a 303 from this post to the provider's end-session endpoint would be refused
    (the page would stay as it was, the session gone). Widening `form-action` to the providers'
    origins would tie the CSP to discovery documents read at run time. So the post always ends
    on a same-origin page: the session is cleared and its id replaced, and `/signed-out` (no name,
    no menu) continues to the provider's end-session endpoint, when it has one, by a plain
    top-level navigation (`location.replace`, and a link for browsers without JavaScript), which
    no CSP directive restricts. The provider sends the browser back to `/signed-out`
    (`post_logout_redirect_uri`), which then has nothing more to do. An htmx request gets
    `HX-Redirect`."""
    actor = await current_actor(request)
    session = dict(session_of(request))
    request.clear_session()
    if actor is not None:
        await services.record_sign_out(actor)
    provider = oidc.provider_by_name(session.get("provider", ""))
    if provider is not None and session.get("id_token"):
        after = f"{get_settings().base_url}/signed-out"
        url = await oidc.end_session_url(provider, session["id_token"], after)
        if url:
            request.set_session({END_SESSION: url})
    rotate_session(request)
    return redirect(request, "/signed-out")


@get("/signed-out", include_in_schema=False)
async def signed_out(request: Request[Any, Any, Any]) -> Template:
    continue_to = session_of(request).pop(END_SESSION, None)
    return page(request, "identity/signed_out.html", {"continue_to": continue_to})


ROUTES = [
    home,
    signin_page,
    signin_start,
    signin_callback,
    choose_organisation_page,
    choose_organisation,
    accept_invitation,
    decline_invitation,
    signout,
    signed_out,
]
