"""A vendor admin suspends an organisation with an invoice in collection from the list of
organisations at risk; its contact person then signs in and reads why, and whom to contact
(rule BIL-10)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import clock
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin
from tests.oidc_support import EID_CLAIM, set_user
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_suspends_for_non_payment_and_the_contact_person_reads_why(live_server, context):
    await seed_catalogue()
    org = await factories.organisation(name="Achterstand Zorg B.V.")
    contact = await factories.member(org, role="contact_person")
    last_month = runs.previous_month(clock.today())
    actor = await admin_actor()
    await ordering.order(
        actor,
        org["id"],
        service="webcert",
        variant="standalone",
        start=dt.date.fromisoformat(f"{last_month}-01"),
    )
    started = await runs.start(actor, last_month)
    for position in range(started["batches_total"]):
        await runs.run_batch(started["id"], position)
    made = {
        "contact": contact,
        "invoice": await Invoice.select().where(Invoice.organisation == org["id"]).first(),
    }
    # The invoice is 50 days past its due date and in collection.
    await Invoice.update(
        {Invoice.due_on: clock.today() - dt.timedelta(days=50), Invoice.dunning_state: "collection"}
    ).where(Invoice.id == made["invoice"]["id"])

    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="At risk of suspension").click()
    await expect(page.get_by_role("heading", name="At risk of suspension")).to_be_visible()
    await expect(page.locator("main")).to_contain_text(made["invoice"]["number"])
    await expect(page.locator("main")).to_contain_text("In collection")
    await shot(page, "at-risk")
    await page.get_by_role("button", name="Suspend Achterstand Zorg B.V.").click()
    await expect(page.locator(".flash").first).to_contain_text("suspended for non-payment")
    await expect(page.locator("main")).to_contain_text("Suspended")
    await shot(page, "at-risk-suspended")

    set_user("achterstand", {EID_CLAIM: made["contact"]["person_row"]["personal_identity_number"]})
    await context.clear_cookies()  # the vendor admin's session
    page = await context.new_page()
    await page.goto(f"{live_server}/signin")
    await page.get_by_role("link", name="Sign in with your e-ID").click()
    await page.fill("input[name=sub]", "achterstand")
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_load_state()
    await expect(page.get_by_role("heading", name="Your organisation's access is suspended")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("because invoices were not paid")
    await expect(page.locator("main")).to_contain_text(made["invoice"]["number"])
    await shot(page, "suspended-sign-in")
