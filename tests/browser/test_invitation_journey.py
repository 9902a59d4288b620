"""A contact person invites a person who is already a user elsewhere; the person accepts after
signing in, and only then acts for the organisation."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests import factories
from tests.browser.conftest import shot
from tests.oidc_support import EID_CLAIM, set_user

pytestmark = pytest.mark.browser


async def _sign_in(context, live_server: str, sub: str, pin: str):
    set_user(sub, {EID_CLAIM: pin})
    page = await context.new_page()
    await page.goto(f"{live_server}/signin")
    await page.get_by_role("link", name="Sign in with your e-ID").click()
    await page.fill("input[name=sub]", sub)
    await page.get_by_role("button", name="Authorize").click()
    return page


async def test_a_person_accepts_an_invitation_of_a_second_organisation(live_server, context):
    org = await factories.organisation(name="Fysiotherapie Noord B.V.")
    contact = await factories.member(org, role="contact_person", name="Carla Bos")
    elsewhere = await factories.organisation(name="Thuiszorg Zuid B.V.")
    bea = await factories.person(name="Bea de Wit", personal_identity_number="111222333")
    await factories.member(elsewhere, bea)

    page = await _sign_in(context, live_server, "carla", contact["person_row"]["personal_identity_number"])
    await page.wait_for_url("**/organisation")
    await page.goto(f"{live_server}/organisation/users/new")
    await page.fill("#name", "B. de Wit")
    await page.fill("#email", "b.dewit@noord.example")
    await page.fill("#personal_identity_number", "111222333")
    await page.get_by_role("button", name="Add user and send invitation").click()
    await page.wait_for_url("**/organisation/users")
    row = page.locator("tbody", has_text="B. de Wit")
    await expect(row.get_by_text("Invited, waiting for acceptance")).to_be_visible()
    await expect(page.get_by_text("Bea de Wit")).to_have_count(0)
    await shot(page, "users-invited")
    await page.close()

    page = await _sign_in(context, live_server, "bea", "111222333")
    await page.wait_for_url("**/choose-organisation")
    invitation = page.locator(".invitation", has_text="Fysiotherapie Noord B.V.")
    await expect(invitation).to_be_visible()
    await shot(page, "invitation")
    await invitation.get_by_role("button", name="Accept").click()
    await page.wait_for_url("**/organisation")
    await expect(page.get_by_text("You accepted the invitation of Fysiotherapie Noord B.V.")).to_be_visible()
    await shot(page, "invitation-accepted")
