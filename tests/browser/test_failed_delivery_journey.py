"""A vendor admin sends failed deliveries again from /admin/mail in a real browser: the section
updates in place (htmx), a mail that may have arrived asks first, and the portal's own relay and
worker deliver the re-sent mail to the local catcher."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.async_api import expect

from src.core import db, outbox
from src.core.tables import OutboxMessage, SentMail
from tests import factories
from tests.browser.conftest import htmx_settled, shot, sign_in_as_vendor_admin

pytestmark = pytest.mark.browser


async def failed_mail(subject: str) -> str:
    """A mail given up on after its last attempt. It is written failed in one transaction: the
    running portal's relay polls the outbox, and a row it saw pending in between would be sent
    and done before the journey looks at it."""
    key = f"journey-mail:{uuid.uuid4()}"
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    async with db.transaction():
        await outbox.enqueue("send_mail", {"to": ["ann@example.org"], "subject": subject, "body": "Hi"}, key)
        await OutboxMessage.update(
            {
                OutboxMessage.failed_at: long_ago,
                OutboxMessage.dispatched_at: long_ago,
                OutboxMessage.attempts: 5,
                OutboxMessage.last_error: "SMTPServerDisconnected: Connection unexpectedly closed",
            }
        ).where(OutboxMessage.dedupe_key == key)
    return key


async def test_a_vendor_admin_sends_failed_deliveries_again(live_server, context):
    admin = await factories.vendor_admin()
    await failed_mail("Welcome to the portal")
    maybe = await failed_mail("Your renewal letter")
    await SentMail.insert(
        SentMail(
            dedupe_key=maybe,
            recipients="ann@example.org",
            subject="Your renewal letter",
            at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30),
        )
    )
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/mail")
    failed = page.locator("#failed-deliveries")
    await expect(failed.locator("tbody tr")).to_have_count(2)
    await expect(failed).to_contain_text("may deliver it twice")
    await shot(page, "failed-deliveries")

    await page.evaluate("window.__samePage = true")
    welcome = failed.locator("tr", has_text="Welcome to the portal")
    await welcome.get_by_role("button", name="Send again").click()
    await expect(failed).to_contain_text("The message is being sent again.")
    await expect(failed.locator("tbody tr")).to_have_count(1)
    await htmx_settled(page)
    await shot(page, "failed-deliveries-resent")

    # The one that may have arrived asks first; declining changes nothing.
    renewal = failed.locator("tr", has_text="Your renewal letter")
    page.once("dialog", lambda dialog: dialog.dismiss())
    await renewal.get_by_role("button", name="Send again").click()
    await expect(failed.locator("tbody tr")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    await renewal.get_by_role("button", name="Send again").click()
    await expect(failed).to_contain_text("The message is being sent again.")
    await expect(failed.locator("tbody tr")).to_have_count(0)
    assert await page.evaluate("window.__samePage") is True

    # The portal's relay and worker deliver both to the local catcher.
    for _ in range(50):
        await page.reload()
        text = await page.locator("#mail-results").inner_text()
        if "Welcome to the portal" in text and "Your renewal letter" in text:
            break
        await page.wait_for_timeout(200)
    await expect(page.locator("#mail-results")).to_contain_text("Welcome to the portal")
    await expect(page.locator("#mail-results")).to_contain_text("Your renewal letter")
    await shot(page, "failed-deliveries-delivered")
