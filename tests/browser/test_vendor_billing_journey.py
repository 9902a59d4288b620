"""A vendor admin with a review period (INVOICE_REVIEW_DAYS=3) invoices last month: the run ends
leaving drafts; the admin opens one and finalises it on its own page, finalises the others on the
drafts page, then reads the revenue chart, at laptop and phone widths, without console errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from src import demo
from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import clock
from src.subscriptions.services import ordering
from src.tenants.tables import Organisation
from tests import factories
from tests.browser.conftest import serve_portal, shot, sign_in_as_vendor_admin
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reviewing_server() -> Iterator[str]:
    with serve_portal(SIGNIN_RATE_LIMIT="1000", INVOICE_REVIEW_DAYS="3") as base:
        yield base


async def test_a_vendor_admin_reviews_and_finalises_the_drafts_of_a_run(reviewing_server, context):
    live_server = reviewing_server
    await demo.seed()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    bjorken = await Organisation.select().where(Organisation.org_number == "5567812341").first()
    for org in (linde, bjorken):
        await ordering.order(
            await admin_actor(), org["id"], service="mail_filter", variant="standard", quantity=3, start=first
        )
    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("button", name="Start the run").click()
    await expect(page.locator("#billing-runs")).to_contain_text("Done", timeout=30_000)
    assert await Invoice.count().where(Invoice.status == "final") == 0  # left for review

    await page.get_by_role("link", name="Drafts to review").click()
    await expect(page.get_by_role("heading", name="Drafts to review")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Invoices stay drafts for 3 days")
    await expect(page.locator("main")).to_contain_text(linde["name"])
    await shot(page, "drafts")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shot(page, "drafts")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # One draft is opened and finalised from its own page.
    row = page.locator("tr", has_text=linde["name"])
    await row.get_by_role("link", name="see the draft").click()
    await expect(page.get_by_role("heading", name="Invoice (draft)")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("A draft has no documents yet")
    await shot(page, "draft")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shot(page, "draft")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.get_by_role("button", name="Finalise").click()
    await expect(page.locator(".flash").first).to_contain_text(f"Invoice {first.year}-000001 is finalised.")
    await expect(page.get_by_role("heading", name=f"Invoice {first.year}-000001")).to_be_visible()
    await page.goto(f"{live_server}/admin/billing/drafts")
    drafts = await Invoice.count().where(Invoice.status == "draft")
    await page.get_by_role("button", name="Finalise all drafts").click()
    await expect(page.locator(".flash").first).to_contain_text(
        f"{drafts} invoice{'s are' if drafts != 1 else ' is'} finalised."
    )
    await expect(page.locator("main")).to_contain_text("No drafts to review.")
    assert await Invoice.count().where(Invoice.status == "draft") == 0
    numbers = sorted(r["number"] for r in await Invoice.select(Invoice.number))
    assert numbers == [f"{first.year}-{n:06d}" for n in range(1, drafts + 2)]
    await shot(page, "drafts-finalised")

    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Revenue").click()
    chart = page.get_by_role("img", name="Revenue per month, the last 12 months")
    await expect(chart).to_be_visible()
    await expect(page.locator("main")).to_contain_text(linde["name"])
    await shot(page, "revenue")
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(chart).to_be_visible()
    await shot(page, "revenue")
    assert problems == []
