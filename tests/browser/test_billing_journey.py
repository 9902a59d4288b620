"""A vendor admin invoices last month on the billing page and watches the run finish; the
contact person reads the invoice with its lines and VAT (rules BIL-1..BIL-5) and downloads its PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src import demo
from src.billing.services import runs
from src.core import clock
from src.subscriptions.services import ordering
from src.tenants.tables import Organisation
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin, signed_in_page
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_runs_last_month_and_the_contact_person_reads_the_invoice(live_server, context):
    await demo.seed()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    await ordering.order(
        await admin_actor(),
        linde["id"],
        service="mail_filter",
        variant="standard",
        quantity=3,
        start=first + dt.timedelta(days=9),
    )
    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/billing")
    await expect(page.get_by_label("Month (YYYY-MM)")).to_have_value(last_month)
    await page.get_by_role("button", name="Start the run").click()
    await expect(page.locator(".flash").first).to_contain_text(
        f"The billing run for {last_month} has started."
    )
    await expect(page.locator("#billing-runs")).to_contain_text("Done", timeout=30_000)  # the page follows it
    await shot(page, "billing-runs")

    page = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    await page.goto(f"{live_server}/organisation/invoices")
    await shot(page, "invoices")
    await page.get_by_role("link", name=f"{first.year}-000001").click()
    await expect(page.locator(".invoice-lines")).to_contain_text("days")
    await expect(page.locator(".invoice-totals")).to_contain_text("VAT 21 %")
    # The workers make its documents shortly after the run: the page links them once they exist.
    pdf_link = page.get_by_role("link", name="PDF")
    for _attempt in range(60):
        if await pdf_link.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    async with page.expect_download() as download:
        await pdf_link.click()
    assert (await download.value).suggested_filename == f"invoice-{first.year}-000001.pdf"
    await shot(page, "invoice")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shot(page, "invoice")
    await page.goto(f"{live_server}/organisation/invoices")
    await shot(page, "invoices")
