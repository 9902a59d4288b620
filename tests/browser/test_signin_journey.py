"""A person signs in in a real browser, through the provider's own form."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.conftest import shot
from tests.oidc_support import EID_CLAIM, set_user

pytestmark = pytest.mark.browser


async def _sign_in(page, base: str, sub: str) -> None:
    await page.goto(f"{base}/")
    assert page.url.endswith("/signin")
    await page.get_by_role("link", name="Sign in with your e-ID").click()
    await page.fill("input[name=sub]", sub)
    await page.get_by_role("button", name="Authorize").click()


async def test_a_person_of_two_organisations_signs_in_and_picks_one(live_server, context):
    who = await factories.person(name="Sanne de Vries")
    await factories.member(await factories.organisation(name="Zorggroep Noord B.V."), who)
    await factories.member(await factories.organisation(name="Thuiszorg Zuid B.V."), who)
    set_user("sanne", {EID_CLAIM: who["personal_identity_number"]})
    page = await context.new_page()
    await shot(page, "blank")

    await page.goto(f"{live_server}/signin")
    await shot(page, "signin")
    await _sign_in(page, live_server, "sanne")

    await page.wait_for_url("**/choose-organisation")
    await shot(page, "choose-organisation")
    assert await page.get_by_role("button", name="Thuiszorg Zuid B.V.").is_visible()
    await page.get_by_role("button", name="Thuiszorg Zuid B.V.").click()
    await page.wait_for_load_state()
    assert "/choose-organisation" not in page.url


async def test_an_unknown_person_reads_whom_to_ask(live_server, context):
    set_user("nobody", {EID_CLAIM: "197001011234"})
    page = await context.new_page()
    await _sign_in(page, live_server, "nobody")
    await page.wait_for_load_state()
    await shot(page, "unknown-person")
    assert await page.get_by_role("heading", name="We could not find you").is_visible()


async def test_the_language_switcher_changes_the_page_language(live_server, context):
    page = await context.new_page()
    await page.goto(f"{live_server}/signin")
    await page.select_option("#lang-select", "sv")
    await page.wait_for_function("document.documentElement.lang === 'sv'", timeout=10000)
    assert await page.locator("#lang-select").input_value() == "sv"
