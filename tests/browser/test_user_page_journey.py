"""A contact person opens a user's page from the list, corrects a mistyped e-mail, and
deactivates the user after reading what that does."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests import factories
from tests.browser.conftest import shot, signed_in_page
from tests.oidc_support import EID_CLAIM

pytestmark = pytest.mark.browser


async def test_a_contact_person_corrects_a_user_and_deactivates_them(live_server, context):
    org = await factories.organisation(name="Apotheek West B.V.")
    contact = await factories.member(org, role="contact_person", name="Carla Bos")
    await factories.member(org, name="Joost Mulder", email="joost@west.exmaple")
    page = await signed_in_page(
        context, live_server, {EID_CLAIM: contact["person_row"]["personal_identity_number"]}
    )

    await page.goto(f"{live_server}/organisation/users")
    await page.get_by_role("link", name="Joost Mulder").click()
    await page.fill("#email", "joost@west")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#email-error")).to_be_visible()
    await shot(page, "user-page-error")
    await page.fill("#email", "joost@west.example")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("The change was saved.")).to_be_visible()
    await shot(page, "user-page")

    await page.get_by_role("link", name="Deactivate").click()
    await expect(page.get_by_text("can no longer sign in for this organisation")).to_be_visible()
    await shot(page, "user-deactivate")
    await page.get_by_role("button", name="Deactivate Joost Mulder").click()
    await page.wait_for_url("**/organisation/users")
    row = page.locator("tbody", has_text="Joost Mulder")
    await expect(row.get_by_text("Deactivated")).to_be_visible()

    await page.goto(f"{live_server}/organisation/users/{contact['id']}/deactivate")
    await expect(page.get_by_text("is the last active contact person")).to_be_visible()
    await shot(page, "user-deactivate-last")
