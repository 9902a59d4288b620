"""A vendor admin publishes, corrects and withdraws an announcement; a user sees it with the page
itself, also in a browser without JavaScript (rule MOD-9)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Browser, expect

from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin
from tests.oidc_support import EID_CLAIM, set_user
from tests.support import vendor_today

pytestmark = pytest.mark.browser


async def _user_page_without_javascript(browser: Browser, live_server: str, width: int) -> str:
    """The text of a user's start page in a browser with JavaScript switched off."""
    ctx = await browser.new_context(viewport={"width": width, "height": 844}, java_script_enabled=False)
    try:
        page = await ctx.new_page()
        await page.goto(f"{live_server}/signin")
        await page.get_by_role("link", name="Sign in with your e-ID").click()
        await page.fill("input[name=sub]", "ursula")
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url("**/organisation")
        await shot(page, "announcement-banner-no-js")
        return await page.inner_text("body")
    finally:
        await ctx.close()


async def test_an_announcement_is_published_corrected_and_withdrawn(live_server, context, browser):
    admin = await factories.vendor_admin()
    org = await factories.organisation(name="Huisartsenpraktijk West B.V.")
    user = await factories.member(org, name="Ursula Smit")
    set_user("ursula", {EID_CLAIM: user["person_row"]["personal_identity_number"]})
    today = vendor_today()

    page = await sign_in_as_vendor_admin(context, live_server, admin)
    width = page.viewport_size["width"] if page.viewport_size else 1280
    await page.goto(f"{live_server}/admin/announcements")
    await page.fill("#f-text_nl", "Onderhoud vanavond")
    await page.fill("#f-text_sv", "Underhåll i kväll")
    await page.fill("#f-text_en", "Maintenance tonight")
    await page.fill("#f-starts_on", today.isoformat())
    await page.fill("#f-ends_on", (today + dt.timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text("The announcement is published.")).to_be_visible()
    await expect(page.get_by_text("Showing now")).to_be_visible()
    assert "Maintenance tonight" in await _user_page_without_javascript(browser, live_server, width)

    await page.get_by_role("link", name="Change or withdraw").click()
    await shot(page, "announcement-edit")
    await page.fill("#f-text_en", "Maintenance tonight from 22:00 to 23:00")
    await page.get_by_role("button", name="Save the changes").click()
    await expect(page.get_by_text("The announcement is changed.")).to_be_visible()
    shown = await _user_page_without_javascript(browser, live_server, width)
    assert "Maintenance tonight from 22:00 to 23:00" in shown

    await page.get_by_role("link", name="Change or withdraw").click()
    await page.get_by_role("button", name="Withdraw", exact=True).click()
    await expect(page.get_by_text("The announcement is withdrawn: nobody sees it any more.")).to_be_visible()
    await expect(page.get_by_text("Withdrawn on")).to_be_visible()
    await shot(page, "announcements-list")
    assert "Maintenance tonight" not in await _user_page_without_javascript(browser, live_server, width)
