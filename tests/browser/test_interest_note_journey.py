"""A vendor admin makes an interest note for an overdue invoice from the invoice's page, reads
the note and goes back to the invoice, at laptop and phone widths, without console errors and
without the page growing wider than the screen (rule BIL-7)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src import demo
from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import clock
from src.subscriptions.services import ordering
from src.tenants.tables import Organisation
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin
from tests.subscriptions.support import admin_actor

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_makes_an_interest_note_for_an_overdue_invoice(live_server, context):
    await demo.seed()
    admin_row = await admin_actor()
    linde = await Organisation.select().where(Organisation.kvk_number == "30276841").first()
    last_month = runs.previous_month(clock.today())
    first = dt.date.fromisoformat(f"{last_month}-01")
    await ordering.order(
        admin_row, linde["id"], service="mail_filter", variant="standard", quantity=3, start=first
    )
    run = await runs.start(admin_row, last_month)
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)
    invoice = await Invoice.select().where(Invoice.organisation == linde["id"]).first()
    # An invoice that fell due 20 days ago and was never paid.
    await Invoice.update({Invoice.due_on: clock.today() - dt.timedelta(days=20)}).where(
        Invoice.id == invoice["id"]
    )

    page = await sign_in_as_vendor_admin(context, live_server, await factories.vendor_admin())
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{live_server}/admin/billing/invoices/{invoice['id']}")
    section = page.locator("#interest-notes")
    await expect(section).to_contain_text("No interest notes.")
    await page.get_by_role("button", name="Make an interest note up to today").click()
    await expect(page.locator("main")).to_contain_text("is made and sent.")
    note = await Invoice.select().where(Invoice.interest_of == invoice["id"]).first()
    await expect(section).to_contain_text(f"Interest note {note['number']}")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, "interest-note-made")

    await page.get_by_role("button", name="Make an interest note up to today").click()
    await expect(page.locator("main")).to_contain_text("already charges the interest up to")

    await section.get_by_role("link", name=f"Interest note {note['number']}").click()
    await expect(page.get_by_role("heading", name=f"Interest note {note['number']}")).to_be_visible()
    main = page.locator("main")
    await expect(main).to_contain_text("Rente 2,5 % per maand van")  # in the invoice's language, Dutch
    await expect(main).to_contain_text("not subject to VAT")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, "interest-note")
    await page.get_by_role("link", name=f"See invoice {invoice['number']}").click()
    await expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    assert problems == []
