"""A vendor admin announces the end of Webcert's legacy terms, is stopped by too little notice
with the error next to the field, corrects the end date and withdraws the announcement (rule
AG-3); a user opens Webcert's door from their organisation's page (rules AG-4, AG-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Page, expect

from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.tenants.services.legacy_terms import add_months
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin, signed_in_page
from tests.oidc_support import EID_CLAIM
from tests.support import vendor_today

pytestmark = pytest.mark.browser


async def fits(page: Page) -> None:
    """Nothing sticks out sideways (a phone scrolls only up and down)."""
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_an_announcement_is_made_corrected_and_withdrawn(live_server, context):
    await seed_catalogue()
    admin = await factories.vendor_admin()
    today = vendor_today()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/legacy-terms")
    await page.get_by_label("Service").select_option(value="webcert")
    await page.get_by_label("Announced on").fill(today.isoformat())
    await page.get_by_label("The legacy terms end on").fill((today + dt.timedelta(days=30)).isoformat())
    await page.get_by_role("button", name="Announce").click()
    await expect(page.locator("#f-ends_on-error")).to_contain_text("at the earliest 6 months")
    await shot(page, "legacy-terms-error")
    await fits(page)

    await page.get_by_label("The legacy terms end on").fill(add_months(today, 6).isoformat())
    await page.get_by_role("button", name="Announce").click()
    await expect(page.get_by_text("Announced: the legacy terms end on")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text="Webcert")).to_contain_text("In force")

    await page.get_by_role("link", name="Correct or withdraw").click()
    await page.get_by_label("The legacy terms end on").fill(add_months(today, 8).isoformat())
    await shot(page, "legacy-terms-notice")
    await fits(page)
    await page.get_by_role("button", name="Save the correction").click()
    await expect(page.get_by_text("Corrected: the legacy terms end on")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text="Webcert")).to_contain_text("corrected 1 time")

    await page.get_by_role("link", name="Correct or withdraw").click()
    await page.get_by_role("button", name="Withdraw", exact=True).click()
    await expect(page.get_by_text("The announcement is withdrawn")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text="Webcert")).to_contain_text("Withdrawn on")
    await shot(page, "legacy-terms-history")
    await fits(page)


async def test_a_user_opens_webcert_from_the_organisations_page(live_server, context):
    await seed_catalogue()
    admin = await factories.vendor_admin()
    org = await factories.organisation(name="Praktijk Jansen", legal_form="eenmanszaak")
    user = await factories.member(org, name="Jan Jansen")
    admin_actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert admin_actor is not None
    await ordering.order(
        admin_actor,
        org["id"],
        service="webcert",
        variant="standalone",
        start=vendor_today() - dt.timedelta(days=1),
    )
    page = await signed_in_page(
        context, live_server, {EID_CLAIM: user["person_row"]["personal_identity_number"]}
    )
    await shot(page, "organisation-services")
    await fits(page)
    for url, name in (
        ("/organisation/subscriptions", "subscriptions-door"),
        ("/organisation/overview", "overview-door"),
    ):
        await page.goto(f"{live_server}{url}")
        await expect(page.get_by_role("link", name="Open Webcert")).to_be_visible()
        await shot(page, name)
        await fits(page)
    await page.goto(f"{live_server}/organisation")
    await page.get_by_role("link", name="Open Webcert").click()
    await page.wait_for_url("**/services/webcert")
    await expect(page.locator("h1")).to_contain_text("Webcert")
