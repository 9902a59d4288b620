"""The API of the connected services (rules AG-4..AG-6, MOD-1, MOD-6), and the vendor admins'
page of their clients (src/connected/pages.py).

Every call carries a service client's token (`Authorization: Bearer cs_...`), counted against
the same rate limit as API tokens. The token acts for its own service only: another service's
path answers 403, an unknown service 404, a person's API token 403."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from src.connected import pages, services
from src.connected.schemas import EntitlementOut, ModuleMessageIn, ModuleMessageOut
from src.core.errors import Forbidden, InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale
from src.identity import repository as tokens
from src.identity.auth import bearer_token, client_address, hash_token, limit_token_use
from src.tenants.catalogue import offer
from src.tenants.services.entitlements import IDENTIFIER_KINDS


@dataclass(frozen=True)
class Caller:
    client: dict[str, Any]
    service: dict[str, Any]
    address: str


async def provide_caller(request: Request[Any, Any, Any], service_code: FromPath[str]) -> Caller:
    """The service client whose token the call carries, for the service of the path."""
    token = bearer_token(request)
    if token is None:
        raise NotAuthorizedException(
            detail=_("Send the service client's token: Authorization: Bearer <token>.")
        )
    token_hash = hash_token(token)
    await limit_token_use(request, token_hash)
    client = await services.client_by_token(token)
    if client is None:
        if await tokens.token_by_hash(token_hash) is not None:
            raise Forbidden(
                _("A person's API token cannot be used here; use the token of the service's client.")
            )
        raise NotAuthorizedException(detail=_("This token is not valid (unknown or revoked)."))
    service = await offer().service_by_code(service_code)
    if service is None:
        raise NotFound(_("No service of the catalogue has this code."))
    if client["service_code"] != service["code"]:
        raise Forbidden(_("This token belongs to another service's client."))
    return Caller(client, service, client_address(request))


def _use_language(language: str) -> None:
    if language:
        if language not in LOCALES:
            raise InputError({"language": _("Use nl, sv or en.")})
        current_locale.set(language)


ENTITLEMENT_DESCRIPTION = """What the person may do in the service for the organisation: asked at each
sign-in and before each new record. `may_use`: sign in, read and export; `may_create`: create new
records. From the announced end of a service's legacy terms, an organisation without the customer
agreement or the subscription is told so (`agreement_missing`, `subscription_missing`, with
`deadline_ahead`: both still true, rule AG-5); from the deadline `may_create` is false while
`may_use` stays (`deadline_passed`, AG-6). Personal e-ID sign-in (`identifier_kind=
personal_identity_number`) to a service offered that way only to sole proprietorships, for an
organisation of another legal form: `may_use` false (`legal_form_e_id`, AG-4); a smart card
(`card_id`) is not affected. A suspended organisation (`suspended`), a person who is not an active
user of it (`not_a_member`), and, for a service with modules, a user without rights for any of
them (`no_rights`, MOD-1): both false. `modules`: the user's modules with their signing right.
Each reason's `message` is in `language`, else the `Accept-Language` header's language (nl, sv,
en): the same texts the portal's banners show. 404: no active person with this identifier, or no
organisation with this number."""


class ConnectedServiceApi(Controller):
    path = "/api/v1/services/{service_code:str}"
    tags = ["connected services"]
    dependencies = {"caller": Provide(provide_caller)}

    @get("/entitlements", summary="What a person may do in the service", description=ENTITLEMENT_DESCRIPTION)
    async def entitlements(
        self,
        caller: NamedDependency[Caller],
        identifier_kind: Annotated[
            str,
            QueryParameter(description="personal_identity_number (personal e-ID) or card_id (smart card)"),
        ] = "",
        identifier: Annotated[str, QueryParameter(description="What the person's sign-in gave")] = "",
        organisation: Annotated[
            str,
            QueryParameter(description="The organisation's KvK number, AGB code, organisationsnummer or id"),
        ] = "",
        language: Annotated[str, QueryParameter(description="nl, sv or en (else Accept-Language)")] = "",
    ) -> EntitlementOut:
        errors: dict[str, str] = {}
        if identifier_kind not in IDENTIFIER_KINDS:
            errors["identifier_kind"] = _("Use personal_identity_number or card_id.")
        if not identifier.strip() or len(identifier) > 64:
            errors["identifier"] = _("Give the identifier the person signed in with.")
        number = "".join(ch for ch in organisation if ch not in " -.")
        if not number.isascii() or not number.isdigit() or len(number) > 12:
            errors["organisation"] = _(
                "Give the organisation's KvK number, AGB code, organisationsnummer or id."
            )
        if errors:
            raise InputError(errors)
        _use_language(language)
        who, found = await services.entitlement(
            caller.client, caller.service, identifier_kind, identifier, number, caller.address
        )
        return EntitlementOut.of(who, found)

    @post(
        "/module-messages",
        status_code=HTTP_202_ACCEPTED,
        summary="Send a module event to the module's users",
        description="Every active user of the organisation with rights for the module gets the "
        "message by e-mail, in their language (rule MOD-6); nobody can unsubscribe. 202 with the "
        "number of `recipients`. The same `event_id` again sends nothing and answers 200 with "
        "`duplicate: true` (an event id used for another organisation: 409). 422 names a wrong "
        "`module` or a missing subject or body (`subject.nl`, `body.en`, ...).",
        responses={
            HTTP_200_OK: ResponseSpec(ModuleMessageOut, description="A repeat of an event: nothing was sent")
        },
    )
    async def module_messages(
        self, caller: NamedDependency[Caller], data: JSONBody[ModuleMessageIn]
    ) -> Response[ModuleMessageOut]:
        sent = await services.send_module_event(
            caller.client,
            organisation=str(data.organisation),
            module=data.module,
            subject=data.subject.as_dict(),
            body=data.body.as_dict(),
            event_id=data.event_id,
            address=caller.address,
        )
        return Response(
            ModuleMessageOut(recipients=sent.recipients, duplicate=sent.duplicate),
            status_code=HTTP_200_OK if sent.duplicate else HTTP_202_ACCEPTED,
        )


ROUTES: list[Any] = [ConnectedServiceApi, *pages.ROUTES]
