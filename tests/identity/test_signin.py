"""Sign-in through a real OpenID provider: matching people, organisations, sessions."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar.testing import AsyncTestClient

from src.core.tables import AuditEntry
from src.identity import oidc
from src.settings import IdentityProvider
from tests import factories
from tests.oidc_support import CARD_CLAIM, ISSUER, ensure_provider_running, sign_in, sign_in_person
from tests.support import limited_app, text_of


async def test_a_registered_user_signs_in_with_e_id_and_lands_in_their_organisation(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await client.get("/signin")
    before = client.cookies.get("portal_session")

    answer = await sign_in_person(client, user["person_row"])

    assert answer.status_code in (302, 303)
    assert client.cookies.get("portal_session") not in (None, "null", before)  # rotated at sign-in
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/organisation"
    assert await AuditEntry.exists().where(AuditEntry.action == "identity.signed_in")


async def test_the_session_cookie_is_http_only_and_same_site(client):
    org = await factories.organisation()
    user = await factories.member(org)
    answer = await sign_in_person(client, user["person_row"])
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("portal_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "samesite=lax" in cookie.lower()


async def test_a_smart_card_user_is_matched_on_the_card_holder_id(client):
    org = await factories.organisation(
        country="SE", legal_form="ab", kvk_number=None, agb_code=None, org_number=factories.org_number()
    )
    who = await factories.person(personal_identity_number=None, card_id="SE2321000016-A1B2")
    await factories.member(org, who)
    answer = await sign_in(client, "card-user", {CARD_CLAIM: "se2321000016-a1b2"}, provider="card")
    assert answer.status_code in (302, 303)
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/organisation"


async def test_an_unknown_subject_gets_a_page_saying_whom_to_ask(client):
    answer = await sign_in(
        client, "stranger", {"https://id.oidc.se/claim/personalIdentityNumber": "197001011234"}
    )
    assert answer.status_code == 403
    text = text_of(answer.text)
    assert "We could not find you" in text
    assert "contact person" in text
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/signin"


async def test_a_person_of_several_organisations_chooses_one_and_can_switch(client):
    who = await factories.person()
    first = await factories.organisation(name="Alpha Zorg B.V.")
    second = await factories.organisation(name="Beta Zorg B.V.")
    await factories.member(first, who)
    await factories.member(second, who, role="contact_person")

    answer = await sign_in_person(client, who)
    assert answer.headers["location"] == "/choose-organisation"
    chooser = await client.get("/choose-organisation")
    assert "Alpha Zorg B.V." in chooser.text and "Beta Zorg B.V." in chooser.text

    chosen = await client.post_form(
        "/choose-organisation", {"organisation_id": str(second["id"])}, follow_redirects=False
    )
    assert chosen.status_code in (302, 303)
    switched = await client.post_form(
        "/choose-organisation", {"organisation_id": str(first["id"])}, follow_redirects=False
    )
    assert switched.status_code in (302, 303)

    stranger_org = await factories.organisation()
    refused = await client.post_form("/choose-organisation", {"organisation_id": str(stranger_org["id"])})
    assert refused.status_code == 404


async def test_people_of_a_suspended_organisation_cannot_sign_in(client):
    org = await factories.organisation(status="suspended")
    user = await factories.member(org)
    answer = await sign_in_person(client, user["person_row"])
    assert answer.status_code == 403
    assert "suspended" in text_of(answer.text)


async def test_the_staff_provider_admits_vendor_admins_only(client):
    admin = await factories.vendor_admin()
    org = await factories.organisation()
    user = await factories.member(org)

    refused = await sign_in_person(client, user["person_row"], provider="staff")
    assert refused.status_code == 403

    admitted = await sign_in_person(client, admin, provider="staff")
    assert admitted.status_code in (302, 303)
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/admin"


async def test_a_callback_with_a_forged_state_signs_nobody_in(client):
    org = await factories.organisation()
    user = await factories.member(org)
    start = await client.get("/signin/eid", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0] and query["state"][0]

    forged = await client.get("/auth/callback?code=whatever&state=forged", follow_redirects=False)
    assert forged.status_code == 400
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/signin"
    assert user  # the registered user stays signed out


async def test_the_pkce_challenge_is_the_hash_of_the_verifier_kept_in_the_session():
    provider = oidc.provider_by_name("eid")
    assert provider is not None
    url, pending = await oidc.authorization_request(provider)
    query = parse_qs(urlsplit(url).query)
    digest = hashlib.sha256(pending["verifier"].encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge"] == [expected]
    assert query["state"] == [pending["state"]] and query["nonce"] == [pending["nonce"]]


def _signed_token(key: RSAKey, **claims: object) -> str:
    base = {
        "iss": ISSUER,
        "aud": "portal-eid",
        "sub": "x",
        "nonce": "n-1",
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
    }
    base.update(claims)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, base, key)


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "another"},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
async def test_an_id_token_with_a_wrong_claim_is_refused(claims):
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    provider = IdentityProvider(
        name="eid", label="x", issuer=ISSUER, client_id="portal-eid", client_secret="s"
    )
    discovered = oidc._Discovered(
        metadata={"id_token_signing_alg_values_supported": ["RS256"]},
        keys=oidc.KeySet([key]),
        fetched_at=time.monotonic(),
    )
    good = _signed_token(key)
    assert (await oidc.verify_id_token(provider, discovered, good, "n-1"))["sub"] == "x"
    with pytest.raises(oidc.SignInError):
        await oidc.verify_id_token(provider, discovered, _signed_token(key, **claims), "n-1")


async def test_an_id_token_signed_by_another_key_is_refused():
    ours = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    theirs = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    provider = IdentityProvider(
        name="eid", label="x", issuer=ISSUER, client_id="portal-eid", client_secret="s"
    )
    discovered = oidc._Discovered(
        metadata={"jwks_uri": f"{ISSUER}/jwks"}, keys=oidc.KeySet([ours]), fetched_at=time.monotonic()
    )
    with pytest.raises(oidc.SignInError):
        await oidc.verify_id_token(provider, discovered, _signed_token(theirs), "n-1")


async def test_sign_out_ends_the_session_at_the_provider_too(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    old_cookie = client.cookies.get("portal_session")
    out = await client.post_form("/signout", follow_redirects=False)
    # Same origin first (the CSP's form-action 'self' applies to a form post's redirects)...
    assert out.status_code == 303
    assert out.headers["location"] == "/signed-out"
    assert client.cookies.get("portal_session") != old_cookie
    signed_out = await client.get("/signed-out")
    # ... then on to the provider by a top-level navigation, and back to the signed-out page.
    link = re.search(r'href="([^"]+)" data-navigate-now', signed_out.text)
    assert link is not None
    url = html.unescape(link.group(1))
    assert url.startswith(f"{ISSUER}/oauth2/end_session")
    assert "id_token_hint=" in url
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver.local%2Fsigned-out" in url
    assert "data-navigate-now" not in (await client.get("/signed-out")).text
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/signin"
    assert await AuditEntry.exists().where(AuditEntry.action == "identity.signed_out")


async def test_sign_out_by_htmx_navigates_with_hx_redirect(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    out = await client.htmx("POST", "/signout", follow_redirects=False)
    assert out.headers["HX-Redirect"] == "/signed-out"
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/signin"


async def test_pages_of_a_session_are_not_stored_by_the_browser(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/organisation")).headers["cache-control"] == "no-store"


async def test_sign_out_without_csrf_token_is_refused(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    refused = await client.post("/signout", follow_redirects=False)
    assert refused.status_code == 403
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/organisation"


async def test_a_session_ends_three_hours_after_sign_in(client, monkeypatch):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    real_now = time.time
    monkeypatch.setattr("time.time", lambda: real_now() + 3 * 3600 + 5)
    import datetime as dt

    class _Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return dt.datetime.fromtimestamp(real_now() + 3 * 3600 + 5, tz)

    monkeypatch.setattr("src.identity.auth.dt.datetime", _Later)
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/signin"


async def test_sign_in_attempts_are_rate_limited_per_client(client):
    ensure_provider_running()
    statuses = [(await client.get("/signin/eid", follow_redirects=False)).status_code for _ in range(25)]
    assert statuses[0] in (302, 303)
    assert statuses[-1] == 429


async def test_concurrent_sign_in_attempts_get_exactly_the_limit(limits_redis):
    ensure_provider_running()
    app = limited_app(limits_redis, SIGNIN_RATE_LIMIT="20")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        answers = await asyncio.gather(
            *(
                client.get("/signin/eid", follow_redirects=False, headers={"Accept-Language": "sv"})
                for _ in range(100)
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(302) + statuses.count(303) == 20
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) == 80
    for answer in refused:
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        assert "För många inloggningsförsök" in text_of(answer.text)
