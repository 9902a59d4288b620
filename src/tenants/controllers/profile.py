"""The profile page: a user's registered e-mail, organisations, API tokens and module mails."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, is_partial, page, redirect
from src.identity import services as identity
from src.identity.auth import provide_actor
from src.tenants.services import user_changes, users

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class ProfilePages(Controller):
    path = "/profile"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def profile(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await _profile(request, actor)

    @post("/email")
    async def change_email(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        email = (data.get("email") or "").strip()
        confirmed = data.get("own_address") in ("yes", "on", "1", "true")
        try:
            await user_changes.change_own_email(actor, email, confirmed)
        except InputError as exc:
            return await _profile(request, actor, email_value=email, email_errors=exc.errors, status_code=422)
        flash(request, _("Your registered e-mail address was changed to %(email)s.", email=email))
        return redirect(request, "/profile")

    @post("/tokens")
    async def create_token(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        name = (data.get("name") or "").strip()
        try:
            row, secret = await identity.create_token(actor, name)
        except InputError as exc:
            return await _profile(
                request, actor, token_errors=exc.errors, token_name=name, status_code=422, section="tokens"
            )
        # The secret is shown in this answer only: never stored, never put in the session.
        return await _profile(
            request, actor, new_token={"name": row["name"], "secret": secret}, section="tokens"
        )

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], token_id: FromPath[int]
    ) -> Response[Any]:
        await identity.revoke_token(actor, token_id)
        if is_partial(request):
            return await _profile(request, actor, section="tokens", token_message=_("The token was revoked."))
        flash(request, _("The token was revoked."))
        return redirect(request, "/profile")


async def _profile(
    request: Request[Any, Any, Any],
    actor: Actor,
    *,
    email_value: str | None = None,
    email_errors: dict[str, str] | None = None,
    token_errors: dict[str, str] | None = None,
    token_name: str = "",
    new_token: dict[str, str] | None = None,
    token_message: str = "",
    section: str = "",
    status_code: int = 200,
) -> Template:
    registration = await users.my_registration(actor)
    memberships = [
        m for m in await identity.memberships_of(actor.person_id) if m["organisation_status"] == "active"
    ]
    context = {
        "registration": registration,
        "email_value": email_value if email_value is not None else (registration or {}).get("email", ""),
        "email_errors": email_errors or {},
        "memberships": memberships,
        "tokens": await identity.tokens_of(actor.person_id),
        "token_errors": token_errors or {},
        "token_name": token_name,
        "new_token": new_token,
        "token_message": token_message,
        # the modules whose mails this user gets (rule MOD-6)
        "module_mails": await _module_mails(actor),
    }
    partial = "tenants/_profile_tokens.html" if section == "tokens" else None
    return page(request, "tenants/profile.html", context, partial=partial, status_code=status_code)


async def _module_mails(actor: Actor) -> list[dict[str, Any]]:
    """The modules this user has rights for; their mails cannot be switched off (MOD-6)."""
    from src.tenants.services.rights import modules_with_rights

    if actor.organisation_id is None or actor.membership_id is None:
        return []
    return await modules_with_rights(actor, actor.organisation_id, actor.membership_id)


ROUTES = [ProfilePages]
