"""A person signed in without the round trip through the identity provider, for the tests that
are about something else.

The session is made by the sign-in callback's own code (`start_session` in
src/identity/controllers.py), as if the provider had just answered with the person's
identifier: the same refusal, the same new session id, the same cookies, the same audit row.
Only the provider's part is left out; the sign-in itself is proven against the real provider in
tests/identity and in the browser journeys."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.params import FromPath, FromQuery

from src.identity import oidc
from src.identity.controllers import start_session
from tests.oidc_support import CARD_CLAIM, EID_CLAIM

PATH = "/tests/provider-answered"


@get(f"{PATH}/{{provider_name:str}}", include_in_schema=False)
async def _provider_answered(
    request: Request[Any, Any, Any], provider_name: FromPath[str], identifier: FromQuery[str]
) -> Response[Any]:
    provider = oidc.provider_by_name(provider_name)
    assert provider is not None, provider_name
    return await start_session(request, provider, {provider.claim: identifier}, id_token="")


def _litestar(app: Any) -> Litestar:
    """The Litestar app under the test client (through wrappers such as tests.support.FromAddress)."""
    while not isinstance(app, Litestar):
        app = app.app
    return app


async def sign_in(client: Any, claims: dict[str, Any], provider: str = "eid") -> Any:
    """Sign in whoever `claims` name, as the callback does once `provider` answered with them;
    returns the callback's answer."""
    app = _litestar(client.app)
    if not any(route.path.startswith(PATH) for route in app.routes):
        app.register(_provider_answered)
    claim = oidc.provider_by_name(provider).claim  # type: ignore[union-attr]
    return await client.get(
        f"{PATH}/{provider}", params={"identifier": claims[claim]}, follow_redirects=False
    )


async def sign_in_person(client: Any, person: dict[str, Any], provider: str = "eid") -> Any:
    """Sign in a person made by tests.factories with the identifier their provider matches."""
    if provider == "card":
        claims = {CARD_CLAIM: person["card_id"]}
    else:
        claims = {EID_CLAIM: person["personal_identity_number"]}
    return await sign_in(client, claims, provider)
