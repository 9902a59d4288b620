"""A contact person disputes a line of last month's invoice on its page, reads that the due date
stays (BIL-8, BIL-9); a vendor admin credits the disputed line from the open complaints; the
contact person finds the credit note as money back and the exchange on the invoice."""

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


async def no_sideways_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


async def test_a_complaint_is_credited_and_both_sides_read_the_exchange(live_server, context):
    await demo.seed()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    admin_actor_ = await admin_actor()
    await ordering.order(
        admin_actor_, linde["id"], service="mail_filter", variant="standard", quantity=3, start=first
    )
    run = await runs.start(admin_actor_, last_month)
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)

    contact = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    await contact.goto(f"{live_server}/organisation/invoices")
    await contact.get_by_role("link", name=f"{first.year}-000001").click()
    complaints = contact.locator("#complaints")
    await expect(complaints).to_contain_text("does not change the due date")
    await contact.get_by_text("Dispute this invoice").click()
    await contact.get_by_label("About", exact=True).select_option(index=1)
    await contact.get_by_label("What is wrong?").fill("We had only two users of the mail filter.")
    await shot(contact, "complaint-form")
    await contact.get_by_role("button", name="Send the complaint").click()
    await expect(contact.locator(".flash").first).to_contain_text("Your complaint is sent.")
    await expect(complaints).to_contain_text("We had only two users of the mail filter.")
    await no_sideways_scroll(contact)
    invoice_url = contact.url

    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Open complaints").click()
    await expect(page.locator("main")).to_contain_text("We had only two users of the mail filter.")
    await page.get_by_label("Answer to the customer").fill("Agreed: one user too many.")
    await shot(page, "open-complaints")
    await no_sideways_scroll(page)
    await page.get_by_role("button", name="Credit the disputed line").click()
    await expect(page.locator(".flash").first).to_contain_text(f"credit note C{clock.today().year}-000001")
    await expect(page.locator("main")).to_contain_text("No open complaints.")

    await page.goto(f"{live_server}/admin/billing/invoices/{invoice_url.rsplit('/', 1)[1]}/credit")
    await expect(page.locator("main")).to_contain_text("was credited already")
    await shot(page, "credit-lines")
    await no_sideways_scroll(page)

    # One browser: the contact person signs in again (the admin's sign-in took the cookie).
    contact = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    complaints = contact.locator("#complaints")

    await contact.goto(invoice_url)
    await expect(complaints).to_contain_text("credited with credit note")
    await expect(complaints).to_contain_text("Agreed: one user too many.")
    await expect(contact.locator("main")).to_contain_text("Credit notes on this invoice")
    await shot(contact, "disputed-invoice")
    await no_sideways_scroll(contact)
    await contact.goto(f"{live_server}/organisation/invoices")
    await expect(contact.locator("main")).to_contain_text("−€")
    await contact.get_by_role("link", name=f"C{clock.today().year}-000001").click()
    await expect(contact.locator("main")).to_contain_text("Total credited to you")
    await shot(contact, "credit-note")
    await no_sideways_scroll(contact)
