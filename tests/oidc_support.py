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


def set_user(sub: str, claims: dict[str, Any]) -> None:
    ensure_provider_running()
    response = httpx.put(f"{ISSUER}/users/{sub}", json=claims, timeout=5)
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
