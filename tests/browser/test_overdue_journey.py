"""A vendor admin reads what is overdue (rules BIL-4, BIL-7): from the billing page to the ageing
chart per payer kind, days sales outstanding with its formula, the largest overdue invoices and
one of them opened; then the same as of another day, and a date that is no date; at laptop and
phone widths (the chart scrolls sideways on a phone, the page does not), without console errors."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src.core import clock
from tests import factories
from tests.billing.overdue_support import final_invoice, paid
from tests.browser.conftest import shot, sign_in_as_vendor_admin

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_reads_the_overdue_ageing(live_server, context):
    today = clock.today()
    noord = await factories.organisation(name="Zorg Noord B.V.")
    zuid = await factories.organisation(name="Zorg Zuid B.V.")
    big = await final_invoice(noord, 250_000, today - dt.timedelta(days=45))
    await paid(big, 50_000, today - dt.timedelta(days=3))
    await final_invoice(zuid, 80_000, today - dt.timedelta(days=12))
    await final_invoice(noord, 45_000, today - dt.timedelta(days=100), payer="VZVZ")
    await final_invoice(zuid, 30_000, today + dt.timedelta(days=10))  # not due yet

    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Overdue").click()
    await expect(page.get_by_role("heading", name="Overdue", exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="per number of days past the due date")
    await expect(chart).to_be_visible()
    ageing = page.locator("table.overdue-ageing")
    await expect(ageing).to_contain_text("€2,000.00")  # Zorg Noord's, 31-60 days
    await expect(ageing).to_contain_text("€450.00")  # VZVZ's, over 90 days
    await expect(ageing).to_contain_text("€3,250.00")  # everything overdue
    main = page.locator("main")
    await expect(main).to_contain_text("open receivables on")
    await expect(main).to_contain_text("× 90")
    largest = page.locator("table.overdue-largest tbody tr")
    await expect(largest).to_have_count(3)
    await expect(largest.first).to_contain_text("Zorg Noord B.V.")
    await expect(largest.first).to_contain_text("45")
    await shot(page, "overdue")

    width = context.pages[0].viewport_size["width"] if context.pages[0].viewport_size else 0
    scroller = page.locator(".overdue-scroll")
    page_width = await page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, "the page itself must not scroll sideways"
    if width < 500:
        wide, shown = await scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert wide > shown  # the chart scrolls within its box on a phone

    await page.get_by_label("As of").fill((today - dt.timedelta(days=20)).isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(largest).to_have_count(2)  # Zorg Zuid's was not overdue yet then
    await expect(ageing).to_contain_text("€2,500.00")  # nothing was paid on it by then
    await shot(page, "overdue-earlier")

    await page.goto(f"{live_server}/admin/billing/overdue?as_of=2027-02-30")
    await expect(page.locator(".error")).to_contain_text("Give the date as YYYY-MM-DD.")
    await expect(largest).to_have_count(3)

    await largest.first.get_by_role("link").click()
    await expect(page.locator("main")).to_contain_text(big["number"])
    assert problems == []
