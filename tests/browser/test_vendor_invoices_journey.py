"""A vendor admin finds invoices on the invoices list (a filter and a search answered in place),
opens a credit note and the invoice it credits, and reads the revenue per service, at laptop and
phone widths, without console errors and without the page growing wider than the screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import expect

from src import demo
from src.billing.services import credits, runs
from src.billing.tables import Invoice, InvoiceLine
from src.core import clock
from src.subscriptions.services import ordering
from src.tenants.tables import Organisation
from tests import factories
from tests.browser.conftest import htmx_settled, shot, sign_in_as_vendor_admin
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


async def fits_the_screen(page) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_a_vendor_admin_finds_an_invoice_and_its_credit_note(live_server, context):
    await demo.seed()
    admin_actor_row = await admin_actor()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    await ordering.order(
        admin_actor_row, linde["id"], service="mail_filter", variant="standard", quantity=3, start=first
    )
    run = await runs.start(admin_actor_row, last_month)
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)
    invoice = await Invoice.select().where(Invoice.organisation == linde["id"]).first()
    line = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).first()
    note = await credits.credit(admin_actor_row, invoice["id"], "Three filters were two", [line["id"]])

    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Invoices", exact=True).click()
    await expect(page.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    results = page.locator("#invoice-results")
    await expect(results).to_contain_text(linde["name"])
    await expect(results).to_contain_text(note["number"])
    assert await fits_the_screen(page)
    await shot(page, "invoices")

    await page.get_by_label("Kind").select_option("credit_note")
    await expect(results.locator("tbody tr")).to_have_count(1)
    await expect(page).to_have_url(re.compile(r"/admin/billing/invoices\?.*kind=credit_note"))
    await page.get_by_label("Kind").select_option("")
    await page.get_by_label("Search", exact=True).fill(note["number"])
    await expect(results.locator("tbody tr")).to_have_count(1)
    await htmx_settled(page)
    await page.get_by_label("Month (YYYY-MM)").fill("2027-13")
    await page.get_by_label("Month (YYYY-MM)").press("Enter")
    await expect(results).to_contain_text("Give the month as YYYY-MM")
    await expect(page.get_by_label("Month (YYYY-MM)")).to_have_value("2027-13")
    await shot(page, "invoices-filtered")

    await page.goto(f"{live_server}/admin/billing/invoices")
    await page.get_by_role("link", name=note["number"]).click()
    await expect(page.get_by_role("heading", name=f"Credit note {note['number']}")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Three filters were two")
    await page.get_by_role("link", name=f"See invoice {invoice['number']}").click()
    await expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    main = page.locator("main")
    await expect(main).to_contain_text(f"credited by {note['number']}")
    await expect(main).to_contain_text("Total excluding VAT")
    await expect(page.get_by_role("link", name="Credit lines")).to_be_visible()
    await expect(page.get_by_role("link", name=f"Credit note {note['number']}")).to_be_visible()
    assert await fits_the_screen(page)
    await shot(page, "invoice")

    await page.goto(f"{live_server}/admin/billing/revenue")
    per_service = page.locator("table.revenue-services")
    await expect(per_service).to_contain_text("Managed mail filter")  # invoiced, then credited: €0.00
    await expect(per_service).to_contain_text("€0.00")
    await per_service.scroll_into_view_if_needed()
    assert await fits_the_screen(page)
    await shot(page, "revenue-per-service")
    assert problems == []
