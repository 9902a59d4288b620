"""A vendor admin adds a variant to a service of the catalogue, deactivates it and reads its
history; the other catalogue pages (price changes, pending changes, revenue) are reached from
the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import terms
from src.subscriptions.tables import PriceChange, Service, ServiceVariant, Subscription, SubscriptionChange
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin
from tests.support import vendor_today

pytestmark = pytest.mark.browser


async def _subscriptions_with_changes_ahead() -> None:
    """Two organisations' subscriptions, a downgrade scheduled and a new price announced, so that
    the pages of changes and revenue have something to show."""
    variants = {v["code"]: v for v in await ServiceVariant.select()}
    today = vendor_today()
    for name, country, code, quantity in (
        ("Zorggroep De Linde B.V.", "NL", "premium", 12),
        ("Vårdcentralen Björken AB", "SE", "fibre", 1),
    ):
        org = await factories.organisation(name=name, country=country)
        v = variants[code]
        created = await Subscription.insert(
            Subscription(
                organisation=org["id"],
                service=v["service"],
                variant=v["id"],
                quantity=quantity,
                starts_on=today - dt.timedelta(days=100),
                price_cents=v["monthly_price_cents"],
            )
        ).returning(Subscription.id)
        if code == "premium":
            await SubscriptionChange.insert(
                SubscriptionChange(
                    subscription=created[0]["id"],
                    kind="downgrade",
                    given_on=today,
                    effective_on=terms.notice_ends_on(today),
                    from_variant=v["id"],
                    to_variant=variants["essentials"]["id"],
                    from_quantity=quantity,
                    to_quantity=8,
                )
            )
    await PriceChange.insert(
        PriceChange(
            variant=variants["fibre"]["id"],
            monthly_price_cents=9900,
            previous_price_cents=8500,
            announced_on=today,
            effective_on=terms.earliest_price_change(today),
            organisations_notified=1,
        )
    )


async def test_a_vendor_admin_adds_a_variant_deactivates_it_and_reads_its_history(live_server, context):
    await seed_catalogue()
    await _subscriptions_with_changes_ahead()
    admin = await factories.vendor_admin()
    backup = await Service.select().where(Service.code == "managed_backup").first()

    page = await sign_in_as_vendor_admin(context, live_server, admin)
    if await page.locator(".nav-toggle-label").is_visible():  # the phone's menu
        await page.locator(".nav-toggle-label").click()
    await page.locator("nav summary", has_text="More").first.click()
    await page.get_by_role("link", name="Service catalogue").click()
    await page.wait_for_url("**/admin/catalogue")
    await expect(page.get_by_role("heading", name="Services and their variants")).to_be_visible()
    await shot(page, "catalogue")

    await page.goto(f"{live_server}/admin/catalogue/services/{backup['id']}")
    form = page.locator("#new-variant")
    await form.locator("#f-code").fill("server_2tb")
    await form.locator("#f-name_nl").fill("Hosted online backup server 2 TB")
    await form.locator("#f-name_sv").fill("Hosted online backup server 2 TB")
    await form.locator("#f-name_en").fill("Hosted online backup server 2 TB")
    await form.locator("#f-monthly_price").fill("189,00")
    await form.get_by_role("button", name="Add the variant").click()
    await expect(page.get_by_text("The variant Hosted online backup server 2 TB was added.")).to_be_visible()
    await expect(page.get_by_role("heading", name="Hosted online backup server 2 TB")).to_be_visible()

    await page.get_by_role("button", name="Deactivate").click()
    await expect(page.get_by_text("The variant is no longer offered.")).to_be_visible()
    history = page.locator("table.catalogue-history")
    await expect(history.get_by_text("Variant deactivated")).to_be_visible()
    await expect(history.get_by_text("Variant added")).to_be_visible()
    await expect(history.get_by_text("€189.00")).to_be_visible()
    await shot(page, "catalogue-variant")

    await page.get_by_role("link", name="Service catalogue").last.click()
    row = page.locator("li", has_text="Hosted online backup server 2 TB")
    await expect(row.get_by_text("Deactivated")).to_be_visible()

    for path, heading, name in (
        ("/admin/catalogue/services/" + str(backup["id"]), "Variants", "catalogue-service"),
        ("/admin/price-changes", "Announce a new price", "price-changes"),
        ("/admin/subscription-changes", "Pending changes of subscriptions", "subscription-changes"),
        ("/admin/revenue", "Recurring revenue", "revenue"),
    ):
        await page.goto(f"{live_server}{path}")
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await shot(page, name)
