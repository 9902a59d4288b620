"""OpenID Connect sign-in (client side): authorization code + PKCE + nonce + state.

authlib builds the authorization request and redeems the code; joserfc verifies the
ID token's signature (provider JWKS), issuer, audience, nonce and expiry."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from src.settings import IdentityProvider, get_settings

DISCOVERY_TTL = 3600
LEEWAY_SECONDS = 60
PENDING_TTL = 600


class SignInError(Exception):
    """The provider's answer could not be trusted; the person sees a clear page."""


@dataclass
class _Discovered:
    metadata: dict[str, Any]
    keys: KeySet | None
    fetched_at: float


_cache: dict[str, _Discovered] = {}


def providers() -> tuple[IdentityProvider, ...]:
    return get_settings().identity_providers


def provider_by_name(name: str) -> IdentityProvider | None:
    return next((p for p in providers() if p.name == name), None)


async def _metadata(provider: IdentityProvider) -> _Discovered:
    cached = _cache.get(provider.issuer)
    if cached and time.monotonic() - cached.fetched_at < DISCOVERY_TTL:
        return cached
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(url)
        response.raise_for_status()
        metadata = response.json()
    if metadata.get("issuer") != provider.issuer:
        raise SignInError(f"provider {provider.name} announces issuer {metadata.get('issuer')!r}")
    discovered = _Discovered(metadata=metadata, keys=None, fetched_at=time.monotonic())
    _cache[provider.issuer] = discovered
    return discovered


async def _keys(discovered: _Discovered, refresh: bool = False) -> KeySet:
    if discovered.keys is None or refresh:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(discovered.metadata["jwks_uri"])
            response.raise_for_status()
            discovered.keys = KeySet.import_key_set(response.json())
    return discovered.keys


def redirect_uri() -> str:
    return f"{get_settings().base_url}/auth/callback"


def _client(provider: IdentityProvider) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        redirect_uri=redirect_uri(),
        scope="openid profile",
        code_challenge_method="S256",
        timeout=10,
    )


async def authorization_request(provider: IdentityProvider) -> tuple[str, dict[str, Any]]:
    """The URL to send the browser to, and what the session must keep to finish."""
    discovered = await _metadata(provider)
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    async with _client(provider) as client:
        url, _state = client.create_authorization_url(
            discovered.metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    pending = {
        "provider": provider.name,
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "at": time.time(),
    }
    return url, pending


async def redeem(
    provider: IdentityProvider, pending: dict[str, Any], code: str, state: str
) -> tuple[dict[str, Any], str]:
    """Check the state, redeem the code with the PKCE verifier, verify the ID token.

    Returns the verified claims and the raw ID token (kept for RP-initiated logout)."""
    if not secrets.compare_digest(str(pending.get("state", "")), state or ""):
        raise SignInError("state does not match")
    if time.time() - float(pending.get("at", 0)) > PENDING_TTL:
        raise SignInError("the sign-in took too long")
    discovered = await _metadata(provider)
    async with _client(provider) as client:
        try:
            token = await client.fetch_token(
                discovered.metadata["token_endpoint"],
                code=code,
                code_verifier=pending["verifier"],
                grant_type="authorization_code",
            )
        except Exception as exc:
            raise SignInError(f"token endpoint refused the code: {exc}") from exc
    id_token = token.get("id_token")
    if not id_token:
        raise SignInError("no ID token in the answer")
    claims = await verify_id_token(provider, discovered, id_token, pending["nonce"])
    return claims, id_token


async def verify_id_token(
    provider: IdentityProvider, discovered: _Discovered, id_token: str, nonce: str
) -> dict[str, Any]:
    algorithms = discovered.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in algorithms if a != "none"]
    try:
        try:
            decoded = jwt.decode(id_token, await _keys(discovered), algorithms=algorithms)
        except JoseError:
            # The provider may have rotated its keys since we fetched them.
            decoded = jwt.decode(id_token, await _keys(discovered, refresh=True), algorithms=algorithms)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise SignInError(f"ID token rejected: {exc}") from exc
    return dict(decoded.claims)


async def end_session_url(provider: IdentityProvider, id_token: str, after: str) -> str | None:
    try:
        discovered = await _metadata(provider)
    except (httpx.HTTPError, SignInError):
        return None
    endpoint = discovered.metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    return str(httpx.URL(endpoint, params={"id_token_hint": id_token, "post_logout_redirect_uri": after}))


def normalise_identifier(kind: str, value: object) -> str:
    """Personal identity numbers compare as digits only; card ids case-insensitively."""
    text = str(value or "").strip()
    if kind == "eid":
        return re.sub(r"[\s\-+]", "", text)
    return text.upper()
