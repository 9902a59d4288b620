"""A contact person orders a mail filter, upgrades it at once to more domains, gives notice of its
cancellation, sees the day it ends, and withdraws it (rules AG-8, SUB-2, SUB-3), each through
the confirmation step."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src import demo
from src.core import clock
from src.core.i18n import format_date
from src.subscriptions.services import terms
from tests.browser.conftest import htmx_settled, shot, signed_in_page

pytestmark = pytest.mark.browser


async def test_a_contact_person_orders_upgrades_cancels_and_withdraws(live_server, context):
    await demo.seed()
    page = await signed_in_page(context, live_server, dict(demo.demo_user_claims())["eva.janssen"])
    await page.goto(f"{live_server}/organisation/subscriptions")
    await shot(page, "subscriptions")

    # the demo's business internet is cancelled already: its last day is shown
    await expect(page.get_by_role("row").filter(has_text="Business internet")).to_contain_text(
        "Cancelled: the last day is"
    )
    await page.get_by_label("Service and variant").select_option(value="mail_filter/standard")
    await page.get_by_label("Quantity").fill("2")
    await page.get_by_role("button", name="Review the order").click()
    await htmx_settled(page)
    review = page.locator("#order-panel")
    await expect(review).to_contain_text("Check your order")
    await expect(review).to_contain_text("VAT 21 %")
    await shot(page, "order-review")
    await page.get_by_role("button", name="Confirm the order").click()
    await expect(page.locator(".flash").first).to_contain_text("You ordered")
    row = page.get_by_role("row").filter(has_text="Mail filter")
    await expect(row).to_contain_text("each")  # two units: the price of one shown under the amount

    await row.get_by_role("link", name="Change or cancel").click()
    await page.get_by_label("Quantity").fill("3")
    await page.get_by_role("button", name="Review the change").click()
    await htmx_settled(page)
    await expect(page.locator("#change-panel")).to_contain_text("Upgrade")
    await expect(page.locator("#change-panel")).to_contain_text("today")
    await shot(page, "change-review")
    await page.get_by_role("button", name="Confirm the change").click()
    await expect(page.locator(".flash").first).to_contain_text("in effect from today")
    row = page.get_by_role("row").filter(has_text="Mail filter")
    await expect(row.get_by_role("cell").nth(2)).to_have_text("3")

    await row.get_by_role("link", name="Change or cancel").click()
    await page.get_by_role("button", name="Review the cancellation").click()
    await htmx_settled(page)
    ends_on = terms.notice_ends_on(clock.today("NL"))
    await expect(page.locator("#change-panel")).to_contain_text(format_date(ends_on))
    last_day = format_date(ends_on - dt.timedelta(days=1))
    await page.get_by_role("button", name="Confirm the change").click()
    row = page.get_by_role("row").filter(has_text="Mail filter")
    await expect(row).to_contain_text(f"Cancelled: the last day is {last_day}")
    await shot(page, "subscriptions-cancelled")

    await row.get_by_role("button", name="Withdraw the change").click()
    await expect(page.locator(".flash").first).to_contain_text("The change was withdrawn")
    await expect(page.get_by_role("row").filter(has_text="Mail filter")).not_to_contain_text("Cancelled")
