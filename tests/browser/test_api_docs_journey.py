"""A developer reads the API's documentation in a real browser and tries an operation with
their API token: the page works under the portal's Content-Security-Policy and loads
nothing from elsewhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from src.identity.auth import build_actor
from src.identity.services import create_token
from tests import factories
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


async def test_the_api_documentation_lists_every_operation_and_tries_one_with_a_token(live_server, context):
    org = await factories.organisation(name="Zorggroep API B.V.")
    contact = await factories.member(org, role="contact_person")
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "docs")
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    elsewhere: list[str] = []

    def note_request(request: Any) -> None:
        if urlsplit(request.url).netloc != urlsplit(live_server).netloc:
            elsewhere.append(request.url)

    page.on("request", note_request)

    await page.goto(f"{live_server}/schema/swagger")

    schema = (await page.context.request.get(f"{live_server}/schema/openapi.json")).json
    operations = sum(
        1 for item in (await schema())["paths"].values() for method in item if method != "parameters"
    )
    await expect(page.locator(".opblock")).to_have_count(operations)
    await shot(page, "api-docs")

    await page.get_by_role("button", name="Authorize").first.click()
    await page.locator("#auth-bearer-value").fill(secret)
    await page.get_by_role("button", name="Apply credentials").click()
    await page.locator(".modal-ux").get_by_role("button", name="Close", exact=True).click()
    await expect(page.locator(".dialog-ux")).to_have_count(0)
    # The operation's own toggle, not the middle of its summary row: on a phone the row's middle
    # is the path link, and the row also holds the copy and the lock buttons (the lock opens the
    # Authorize dialog again), which move while the hover widens the copy button.
    me = page.locator("#operations-me-ApiV1MeMe")
    toggle = me.locator(".opblock-summary-control")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await me.get_by_role("button", name="Try it out").click()
    await me.get_by_role("button", name="Execute").click()

    answer = me.locator(".responses-table.live-responses-table")
    await expect(answer.locator("tbody .response-col_status")).to_have_text("200")
    await expect(answer.locator(".highlight-code")).to_contain_text(contact["person_row"]["name"])
    await shot(page, "api-docs-tried")
    assert elsewhere == []
    assert problems == []
