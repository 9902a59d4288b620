"""A vendor admin finds, filters and suspends organisations in a real browser; the list updates
in place (htmx) without reloading the page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests import factories
from tests.browser.conftest import htmx_settled, shot, sign_in_as_vendor_admin

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_filters_pages_and_suspends_organisations(live_server, context):
    admin = await factories.vendor_admin()
    for i in range(28):
        await factories.organisation(name=f"Zorgpraktijk {i:02d} B.V.")
    await factories.organisation(
        name="Vårdcentralen Norrland Aktiebolag",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
        status="suspended",
    )
    target = await factories.organisation(name="Zorggroep Noord B.V.")
    await factories.member(target, role="contact_person", email="carla.de.vries@zorggroep-noord.example")
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/organisations")
    await shot(page, "admin-list")

    await page.evaluate("window.__samePage = true")  # gone if the page were reloaded
    await page.fill("#f-q", "noord")
    await expect(page).to_have_url(re.compile(r"q=noord"))
    await expect(page.locator("#organisation-results tbody tr")).to_have_count(1)
    await page.fill("#f-q", "")
    await page.select_option("#f-country", "SE")
    await expect(page).to_have_url(re.compile(r"country=SE"))
    await expect(page.locator("#organisation-results tbody tr")).to_have_count(1)
    await page.select_option("#f-country", "")
    await expect(page.locator("#organisation-results tbody tr")).to_have_count(25)
    await htmx_settled(page)
    if page.viewport_size and page.viewport_size["width"] < 720:
        await page.select_option("#f-sort", "-name")
    else:
        await page.get_by_role("link", name="Name").click()
    await expect(page).to_have_url(re.compile(r"sort=-name"))
    await page.get_by_role("link", name="Next").click()
    await expect(page).to_have_url(re.compile(r"page=2"))
    assert await page.evaluate("window.__samePage") is True

    await page.goto(f"{live_server}/admin/organisations/{target['id']}")
    await shot(page, "admin-detail")
    await page.get_by_text("Suspend this organisation").click()
    await page.get_by_role("button", name="Yes, suspend").click()
    await expect(page.get_by_text("Suspended").first).to_be_visible()

    await page.goto(f"{live_server}/admin/organisations/new")
    await page.fill("#f-name", "Nieuwe Zorg B.V.")
    await page.select_option("#f-country", "NL")
    await page.select_option("#f-legal_form", "bv")
    await page.fill("#f-kvk_number", "123")
    await page.get_by_role("button", name="Register organisation").click()
    await expect(page.get_by_text("A KvK number has 8 digits.")).to_be_visible()
    await shot(page, "admin-form-errors")
