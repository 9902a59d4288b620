"""Behaviour every page shares: CSRF, htmx redirects, languages, formatting."""

from __future__ import annotations

import logging
import os

import pytest
from litestar.testing import AsyncTestClient

from src.app import create_app
from src.core import i18n
from src.core.web import PROBLEM_JSON, nests_too_deep
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.settings import Settings
from tests import factories
from tests.signed_in import sign_in_person


async def test_an_htmx_request_without_a_session_is_told_to_navigate_to_sign_in(client):
    response = await client.get(
        "/choose-organisation", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/signin"


async def test_a_plain_request_without_a_session_is_redirected_to_sign_in(client):
    response = await client.get("/choose-organisation", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/signin")


async def test_an_unsafe_htmx_request_without_the_csrf_header_is_refused(client):
    await client.csrf()
    refused = await client.post("/language", data={"locale": "nl"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    accepted = await client.htmx("POST", "/language", data={"locale": "nl", "next": "/signin"})
    assert accepted.status_code == 200
    assert accepted.headers["hx-redirect"] == "/signin"


async def test_the_page_language_follows_accept_language_then_the_switcher(client):
    swedish = await client.get("/signin", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in swedish.text
    dutch = await client.get("/signin", headers={"Accept-Language": "de-DE,nl;q=0.8"})
    assert '<html lang="nl">' in dutch.text
    await client.post_form("/language", {"locale": "en", "next": "/signin"})
    chosen = await client.get("/signin", headers={"Accept-Language": "sv"})
    assert '<html lang="en">' in chosen.text


async def test_error_pages_speak_the_readers_language_also_where_no_route_matches(client):
    """A mistyped address, a wrong method and a refused input answer in the reader's language."""
    unknown = await client.get("/organisatie/gebruikers", headers={"Accept-Language": "nl"})
    assert unknown.status_code == 404
    assert '<html lang="nl">' in unknown.text and "Niet gevonden" in unknown.text
    api = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "nl"})
    assert api.json()["title"] == "Niet gevonden"

    await client.post_form("/language", {"locale": "sv", "next": "/signin"})
    wrong_method = await client.delete("/signin", headers={"Accept-Language": "nl"})
    assert wrong_method.status_code == 405
    assert '<html lang="sv">' in wrong_method.text

    refused = await client.get("/signin?next=a%00b")
    assert refused.status_code == 400
    assert "Text får inte innehålla NUL-tecknet (U+0000)." in refused.text


async def test_a_language_we_do_not_offer_is_ignored(client):
    await client.post_form("/language", {"locale": "xx", "next": "//evil.example/"}, follow_redirects=False)
    page = await client.get("/signin", headers={"Accept-Language": "nl"})
    assert '<html lang="nl">' in page.text


def test_money_and_dates_are_written_the_way_each_language_writes_them():
    import datetime as dt

    when = dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.UTC)
    expected = {
        "nl": ("€\xa01.234,50", "1 mrt 2026"),
        "sv": ("1\xa0234,50\xa0€", "1 mars 2026"),
        "en": ("€1,234.50", "1 Mar 2026"),
    }
    for locale, (money, date) in expected.items():
        token = i18n.current_locale.set(locale)
        try:
            assert i18n.format_money(123450, "EUR").replace("\u202f", "\xa0") == money
            assert i18n.format_date(when.date()) == date
        finally:
            i18n.current_locale.reset(token)


def test_one_date_format_and_one_date_time_format_per_language():
    import datetime as dt

    winter = dt.datetime(2026, 12, 4, 14, 7, 56, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    expected = {
        "nl": ("4 dec 2026", "4 dec 2026, 15:07 CET", "1 jul 2026, 14:00 CEST"),
        "sv": ("4 dec. 2026", "4 dec. 2026 15:07 CET", "1 juli 2026 14:00 CEST"),
        "en": ("4 Dec 2026", "4 Dec 2026, 15:07 CET", "1 Jul 2026, 14:00 CEST"),
    }
    for locale, (day, moment, summer_moment) in expected.items():
        token = i18n.current_locale.set(locale)
        try:
            assert i18n.format_date(winter) == day
            assert i18n.format_datetime(winter, country="NL") == moment
            assert i18n.format_datetime(summer, country="SE") == summer_moment
        finally:
            i18n.current_locale.reset(token)


def test_business_times_are_shown_in_the_organisations_time_zone():
    import datetime as dt

    noon_utc = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    token = i18n.current_locale.set("en")
    try:
        assert "14:00" in i18n.format_datetime(noon_utc, country="SE")
        assert "14:00" in i18n.format_datetime(noon_utc, country="NL")
    finally:
        i18n.current_locale.reset(token)


async def test_cookies_are_secure_behind_tls():
    env = {**os.environ, "BASE_URL": "https://portal.example"}
    app = create_app(Settings.from_env(env), run_worker=False, start_pool=False)
    async with AsyncTestClient(app=app, base_url="https://portal.example") as secure_client:
        response = await secure_client.get("/signin")
        cookies = response.headers.get_list("set-cookie")
        assert any(c.startswith("portal_csrf=") and "Secure" in c for c in cookies)
        assert "max-age=31536000" in response.headers["strict-transport-security"]


SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")


async def test_an_address_no_route_matches_carries_the_security_headers(client):
    for answer in (
        await client.get("/nowhere/at/all"),
        await client.get("/api/v1/nothing-here"),
        await client.delete("/signin"),
    ):
        assert answer.status_code in (404, 405)
        for name in SECURITY_HEADERS:
            assert name in answer.headers, (answer.request.url, name)
        assert answer.headers["cache-control"] == "no-store"


async def test_behind_tls_an_address_no_route_matches_carries_hsts():
    settings = Settings.from_env({**os.environ, "BASE_URL": "https://portal.example.org"})
    async with AsyncTestClient(create_app(settings, run_worker=False, start_pool=False)) as raw:
        answer = await raw.get("/nowhere/at/all")
    assert answer.status_code == 404
    assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_signed_in_answers_are_not_stored_but_static_files_may_be(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "cache")
    await sign_in_person(client, contact["person_row"])

    assert (await client.get("/organisation/users")).headers["cache-control"] == "no-store"
    api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    static = await client.get("/static/css/portal.css")
    assert static.status_code == 200 and "cache-control" not in static.headers


async def test_only_the_api_and_ocsp_paths_are_free_of_the_csrf_token(client):
    """The exclusions are path prefixes: /api/ or /ocsp elsewhere in a path does not free it."""
    await client.csrf()
    for path in ("/organisation/certificates/ocsp1/revoke", "/organisation/certificates/api/revoke"):
        refused = await client.post(path, data={"reason": "key_compromise"}, follow_redirects=False)
        assert refused.status_code == 403, path


@pytest.mark.parametrize(
    "back", ["/\\evil.example/", "/\t/evil.example/", "//evil.example/", "https://evil.example/"]
)
async def test_the_language_switcher_sends_back_only_within_the_portal(client, back):
    plain = await client.post_form("/language", {"locale": "nl", "next": back}, follow_redirects=False)
    assert plain.headers["location"] == "/"
    htmx = await client.htmx("POST", "/language", data={"locale": "nl", "next": back})
    assert htmx.headers["hx-redirect"] == "/"


async def test_json_nested_too_deep_is_refused_in_the_readers_language_without_a_traceback(client, caplog):
    caplog.set_level(logging.ERROR)
    answer = await client.post(
        "/api/v1/organisations",
        content=b"[" * 1000 + b"]" * 1000,
        headers={"Content-Type": "application/json", "Accept-Language": "nl"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["detail"] == "De JSON is dieper genest dan 64 niveaus."
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_nesting_depth_is_read_without_parsing():
    assert not nests_too_deep(b"[" * 64 + b"]" * 64)
    assert nests_too_deep(b"[" * 65 + b"]" * 65)
    assert nests_too_deep(b'{"a": ' * 65 + b"1" + b"}" * 65)
    assert not nests_too_deep(b'{"a": "' + b"[" * 100 + b'"}')  # brackets in a string are text
    assert not nests_too_deep(b'{"a": "\\"' + b"[" * 100 + b'"}')  # also after an escaped quote


async def test_a_form_sent_to_a_json_route_answers_415_saying_what_it_takes(client):
    answer = await client.post("/api/v1/organisations", files={"name": (None, "x")})
    assert answer.status_code == 415
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["detail"] == "Send the body as JSON, with Content-Type: application/json."
