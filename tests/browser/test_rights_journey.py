"""A contact person gives rights in the grid (rule MOD-1, MOD-2): one toggle per right that says
its state, changed in place; the five modules of the procurement portal fit a laptop's width."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from src import demo
from tests.browser.conftest import htmx_settled, shot, signed_in_page

pytestmark = pytest.mark.browser


async def test_a_contact_person_toggles_rights_in_the_grid(live_server, context):
    await demo.seed()
    page = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    await page.goto(f"{live_server}/organisation/rights")
    await shot(page, "rights-grid")
    if page.viewport_size and page.viewport_size["width"] >= 1280:
        overflow = await page.eval_on_selector(".rights-wrap", "e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, "the grid needs scrolling at laptop width"

    right = page.get_by_role("button", name="Right (Care procurement portal · Requests for Thijs Meijer)")
    await expect(right).to_have_attribute("aria-pressed", "false")
    await right.click()
    await htmx_settled(page)
    await expect(right).to_have_attribute("aria-pressed", "true")
    contracting = "Care procurement portal · Contracting for Thijs Meijer"
    signing = page.get_by_role("button", name=f"Signing ({contracting})")
    await signing.click()
    await htmx_settled(page)
    await expect(signing).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_role("button", name=f"Right ({contracting})")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.reload()
    await expect(signing).to_have_attribute("aria-pressed", "true")
