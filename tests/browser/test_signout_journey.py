"""A person signs out in a real browser and ends on the portal's signed-out page: with a provider
that has an end-session endpoint (the browser visits it and comes back) and with one that has
none. The portal's own CSP (`form-action 'self'`) must not stand in the way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect

from tests import factories
from tests.browser.conftest import serve_portal, shot
from tests.oidc_support import (
    EID_CLAIM,
    ISSUER,
    NO_LOGOUT_ISSUER,
    PROVIDERS,
    ensure_provider_without_logout_running,
    set_user,
)

pytestmark = pytest.mark.browser

NO_LOGOUT = {
    "name": "plain",
    "label": "Plain e-ID",
    "issuer": NO_LOGOUT_ISSUER,
    "client_id": "portal-plain",
    "client_secret": "s4",
    "kind": "eid",
    "claim": EID_CLAIM,
    "assurance": "high",
}


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    ensure_provider_without_logout_running()
    with serve_portal(OIDC_PROVIDERS=json.dumps([*PROVIDERS, NO_LOGOUT])) as base:
        yield base


def _csp_violations(context: BrowserContext) -> list[str]:
    seen: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    context.on("console", on_console)
    return seen


@pytest.mark.parametrize(
    ("provider", "issuer", "label"),
    [("eid", ISSUER, "Test e-ID"), ("plain", NO_LOGOUT_ISSUER, "Plain e-ID")],
    ids=["with-end-session", "without-end-session"],
)
async def test_sign_out_ends_on_the_signed_out_page(live_server, context, provider, issuer, label):
    org = await factories.organisation(name="Zorggroep De Linde B.V.")
    eva = await factories.person(name="Eva Janssen")
    await factories.member(org, eva)
    set_user("eva", {EID_CLAIM: eva["personal_identity_number"]}, issuer=issuer)
    violations = _csp_violations(context)
    page = await context.new_page()

    await page.goto(f"{live_server}/signin")
    await page.get_by_role("link", name=label).click()
    await page.fill("input[name=sub]", "eva")
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url("**/organisation")
    await expect(page.locator(".who")).to_have_text("Eva Janssen")

    await page.get_by_role("button", name="Sign out").click()
    if provider == "eid":
        # The provider's own end-session page, reached by a top-level navigation; it sends the
        # browser back to the portal.
        await page.wait_for_url(f"{issuer}/oauth2/end_session**")
        await page.get_by_role("button", name="End session").click()
    await page.wait_for_url(f"{live_server}/signed-out")
    await shot(page, f"signed-out-{provider}")
    await expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    await expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    await expect(page.locator(".who")).to_have_count(0)
    await expect(page.locator("nav.nav")).to_have_count(0)
    await expect(page.get_by_text("Eva Janssen")).to_have_count(0)

    # Back to the pages seen while signed in, and reload: nothing of them is shown.
    await page.go_back()
    await page.wait_for_load_state()
    await expect(page.get_by_text("Eva Janssen")).to_have_count(0)
    while page.url.startswith(issuer):
        await page.go_back()
        await page.wait_for_load_state()
    await expect(page.get_by_text("Eva Janssen")).to_have_count(0)
    await page.reload()
    await expect(page.get_by_text("Eva Janssen")).to_have_count(0)
    await expect(page.locator(".who")).to_have_count(0)
    assert violations == []
