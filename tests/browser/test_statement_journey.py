"""A contact person reads the statement of account: the open invoice, its payment reference, a
payment made, and what will be owed on a day to come with interest and collection costs (rules
BIL-6, BIL-7); a vendor admin reads the same statement from the billing pages."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src import demo
from src.billing.services import payments, runs
from src.billing.tables import Invoice
from src.core import clock
from src.subscriptions.services import ordering
from src.tenants.tables import Organisation
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin, signed_in_page
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


async def test_the_statement_of_account_for_the_contact_person_and_the_vendor_admin(live_server, context):
    await demo.seed()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    admin_actor_ = await admin_actor()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    await ordering.order(
        admin_actor_, linde["id"], service="mail_filter", variant="standard", quantity=3, start=first
    )
    started = await runs.start(admin_actor_, last_month)
    for position in range(started["batches_total"]):
        await runs.run_batch(started["id"], position)
    invoice = await Invoice.select().where(Invoice.organisation == linde["id"]).first()
    await payments.record(admin_actor_, invoice["id"], 1000, clock.today(), "Eerste deel")
    later = invoice["due_on"] + dt.timedelta(days=45)

    page = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    await page.goto(f"{live_server}/organisation/invoices")
    await page.get_by_role("link", name="Statement of account").first.click()
    await expect(page.get_by_role("heading", name="Statement of account")).to_be_visible()
    await expect(page.locator("main")).to_contain_text(invoice["number"])
    await expect(page.locator("main")).to_contain_text("Eerste deel")
    await expect(page.locator("main")).to_contain_text(invoice["payment_reference"][:4])
    await shot(page, "statement")
    await page.get_by_label("As of").fill(later.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("main")).to_contain_text("if nothing more is paid by then")
    await expect(page.locator("main")).to_contain_text("Handed to collection")
    await expect(page.locator("main")).to_contain_text("€750.00")
    await shot(page, "statement-later")

    admin = await factories.vendor_admin()
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Payments").click()
    await page.get_by_label("Invoice number or payment reference").fill(invoice["number"])
    await page.get_by_label("Amount (€)").fill("2,50")
    await page.get_by_label("Reference on the bank statement").fill("Tweede deel")
    await page.get_by_role("button", name="Record the payment").click()
    await expect(page.locator(".flash").first).to_contain_text(
        f"Payment of €2.50 on invoice {invoice['number']}"
    )
    await expect(page.locator("main")).to_contain_text("Tweede deel")
    await shot(page, "admin-payments")
    await page.get_by_role("link", name="Statements of account").click()
    await page.get_by_role("link", name=linde["name"]).click()
    await expect(page.get_by_role("heading", name="Statement of account")).to_be_visible()
    await expect(page.locator("main")).to_contain_text(invoice["number"])
    await shot(page, "admin-statement")
