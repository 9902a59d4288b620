"""A vendor admin imports the day's bank statement: the payment with the invoice's reference is
recorded on it, the one without waits on the page and is matched by hand by the invoice number."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src.billing.tables import Payment
from tests import factories
from tests.billing.camt_samples import entry, statement, transaction
from tests.billing.invoiced import Clock, invoiced
from tests.browser.conftest import shot, sign_in_as_vendor_admin

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_imports_a_statement_and_matches_the_rest_by_hand(
    live_server, context, monkeypatch, tmp_path
):
    Clock(monkeypatch)  # January 2027 invoiced here; the portal books the payments on a past day
    made = await invoiced()
    booked = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    invoice = made["invoice"]
    data = statement(
        [
            entry(
                "50.00", [transaction(reference=invoice["payment_reference"], bank_ref="J-1")], booked=booked
            ),
            entry(
                "25.00",
                [transaction(text="zorg betaling januari", name="Factuur Zorg B.V.", bank_ref="J-2")],
                booked=booked,
            ),
        ]
    )
    upload = tmp_path / "statement.xml"
    upload.write_bytes(data)

    page = await sign_in_as_vendor_admin(context, live_server, await factories.vendor_admin())
    await page.goto(f"{live_server}/admin/billing")
    await page.get_by_role("link", name="Bank statements").click()
    await page.get_by_label("Bank statement (camt.053)").set_input_files(str(upload))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator(".flash").first).to_contain_text(
        "1 payment matched to its invoice; 1 to match by hand."
    )
    await expect(page.locator("table").first).to_contain_text("zorg betaling januari")
    await shot(page, "bank-statements")

    await page.get_by_label("Invoice number").fill(invoice["number"])
    await page.get_by_role("button", name="Record on this invoice").click()
    await expect(page.locator(".flash").first).to_contain_text(f"recorded on invoice {invoice['number']}")
    await expect(page.get_by_text("Every payment received is matched to its invoice.")).to_be_visible()
    await shot(page, "bank-statements-done")
    assert sorted(p["amount_cents"] for p in await Payment.select()) == [2500, 5000]
