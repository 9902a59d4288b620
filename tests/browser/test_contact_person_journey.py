"""A contact person adds a user and is stopped, in place, from leaving the organisation without
a contact person."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from src.core.tables import CaughtMail
from tests import factories
from tests.browser.conftest import htmx_settled, shot, signed_in_page
from tests.oidc_support import EID_CLAIM

pytestmark = pytest.mark.browser


async def _invitation_for(address: str, within: float = 30.0) -> bool:
    """The server's own worker delivers the invitation; the embedded default keeps it."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await CaughtMail.exists().where(CaughtMail.recipients.like(f"%{address}%")):
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_contact_person_adds_a_user_and_cannot_remove_the_last_contact_person(live_server, context):
    org = await factories.organisation(name="Huisartsenpraktijk Oost B.V.")
    contact = await factories.member(org, role="contact_person", name="Carla Bos")
    page = await signed_in_page(
        context, live_server, {EID_CLAIM: contact["person_row"]["personal_identity_number"]}
    )
    page.on("dialog", lambda dialog: dialog.accept())

    await page.goto(f"{live_server}/organisation/users/new")
    await page.fill("#name", "Joost Mulder")
    await page.fill("#email", "joost@oost.example")
    await page.fill("#personal_identity_number", "111222333")  # a BSN that passes the eleven test
    await page.get_by_role("button", name="Add user and send invitation").click()
    await page.wait_for_url("**/organisation/users")
    await expect(page.get_by_role("link", name="joost@oost.example")).to_be_visible()  # rule MOD-3
    await shot(page, "users-after-add")
    assert await _invitation_for("joost@oost.example"), "the invitation mail did not arrive"

    own_row = page.locator(f"#user-{contact['id']}")
    await own_row.get_by_role("button", name="Remove as contact person").click()
    await htmx_settled(page)
    await expect(page.get_by_text("is the last active contact person")).to_be_visible()
    assert "/organisation/users" in page.url
    await shot(page, "users-last-contact-person")
