"""A real OpenID provider (oidc-provider-mock) on loopback, and a sign-in that goes the
whole way through it: our redirect, the provider's authorize form, our callback."""

from __future__ import annotations

import json
import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving

EID_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
CARD_CLAIM = "card_holder_id"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = _free_port()
ISSUER = f"http://127.0.0.1:{PORT}"

PROVIDERS = [
    {
        "name": "eid",
        "label": "Test e-ID",
        "issuer": ISSUER,
        "client_id": "portal-eid",
        "client_secret": "s1",
        "kind": "eid",
        "claim": EID_CLAIM,
        "assurance": "high",
    },
    {
        "name": "card",
        "label": "Test smart card",
        "issuer": ISSUER,
        "client_id": "portal-card",
        "client_secret": "s2",
        "kind": "smartcard",
        "claim": CARD_CLAIM,
        "assurance": "high",
    },
    {
        "name": "staff",
        "label": "Vendor staff",
        "issuer": ISSUER,
        "client_id": "portal-staff",
        "client_secret": "s3",
        "kind": "eid",
        "claim": EID_CLAIM,
        "assurance": "high",
        "staff": True,
    },
]
os.environ["OIDC_PROVIDERS"] = json.dumps(PROVIDERS)

_server: werkzeug.serving.BaseWSGIServer | None = None


def ensure_provider_running() -> str:
    global _server
    if _server is None:
        _server = werkzeug.serving.make_server(
            "127.0.0.1", PORT, oidc_provider_mock.app(require_nonce=True), threaded=True
        )
        threading.Thread(target=_server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return ISSUER


def _without_end_session(app: Any) -> Any:
    """The provider app with `end_session_endpoint` left out of its discovery document, like a
    provider that offers no RP-initiated logout."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/.well-known/openid-configuration":
            return app(environ, start_response)
        captured: list[Any] = []
        body = b"".join(
            app(environ, lambda status, headers, exc_info=None: captured.extend([status, headers]))
        )
        metadata = json.loads(body)
        metadata.pop("end_session_endpoint", None)
        body = json.dumps(metadata).encode()
        headers = [(k, v) for k, v in captured[1] if k.lower() != "content-length"]
        start_response(captured[0], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


NO_LOGOUT_PORT = _free_port()
NO_LOGOUT_ISSUER = f"http://127.0.0.1:{NO_LOGOUT_PORT}"
_no_logout_server: werkzeug.serving.BaseWSGIServer | None = None


def ensure_provider_without_logout_running() -> str:
    """A second provider on its own port whose discovery document has no end-session endpoint."""
    global _no_logout_server
    if _no_logout_server is None:
        _no_logout_server = werkzeug.serving.make_server(
            "127.0.0.1",
            NO_LOGOUT_PORT,
            _without_end_session(oidc_provider_mock.app(require_nonce=True)),
            threaded=True,
        )
        threading.Thread(
            target=_no_logout_server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
    return NO_LOGOUT_ISSUER


def set_user(sub: str, claims: dict[str, Any], issuer: str = ISSUER) -> None:
    if issuer == NO_LOGOUT_ISSUER:
        ensure_provider_without_logout_running()
    else:
        ensure_provider_running()
    response = httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    response.raise_for_status()


async def sign_in(client: Any, sub: str, claims: dict[str, Any] | None = None, provider: str = "eid") -> Any:
    """Sign `sub` in through the provider; returns our callback's answer."""
    if claims is not None:
        set_user(sub, claims)
    else:
        ensure_provider_running()
    start = await client.get(f"/signin/{provider}", follow_redirects=False)
    assert start.status_code in (302, 303), start.text
    authorize_url = start.headers["location"]
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(authorize_url, data={"sub": sub}, follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    back = urlsplit(answer.headers["location"])
    return await client.get(f"{back.path}?{back.query}", follow_redirects=False)


async def sign_in_person(client: Any, person: dict[str, Any], provider: str = "eid") -> Any:
    """Sign in a person made by tests.factories with the identifier their provider matches."""
    if provider == "card":
        claims = {CARD_CLAIM: person["card_id"]}
    else:
        claims = {EID_CLAIM: person["personal_identity_number"]}
    return await sign_in(client, f"sub-{person['id']}-{provider}", claims, provider)
