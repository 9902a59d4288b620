"""A contact person pays an invoice online: the invoice page offers it, the payment page is served
with the policy Stripe.js needs, and once Stripe (localstripe, calling the portal's webhook for
real) reports the payment, the in-process worker records it and the invoice has nothing left to
pay. Stripe.js itself comes from js.stripe.com, out of reach here: the page says so and offers
the bank transfer instead, and the payment is confirmed at the emulator the way Stripe.js does."""

from __future__ import annotations

import os

import httpx
import pytest
from playwright.async_api import expect

from tests.billing.invoiced import Clock, invoiced
from tests.billing.test_online_payments import AUTH, SECRET, confirm_with_card
from tests.browser.conftest import serve_portal, shot, signed_in_page
from tests.oidc_support import EID_CLAIM

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stripe_portal():
    base = os.environ.get("TEST_STRIPE_API_BASE", "")
    if not base:
        pytest.fail("TEST_STRIPE_API_BASE is not set: the test command starts localstripe and sets it")
    settings = {
        "STRIPE_SECRET_KEY": AUTH[0],
        "STRIPE_PUBLISHABLE_KEY": "pk_test_portal",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": base,
        "SIGNIN_RATE_LIMIT": "1000",
    }
    with serve_portal(**settings) as portal:
        # localstripe calls the portal's webhook with every event, signed with the secret.
        hook = httpx.post(
            f"{base}/_config/webhooks/portal-{os.getpid()}",
            data={"url": f"{portal}/webhooks/stripe", "secret": SECRET},
        )
        assert hook.status_code == 200, hook.text
        yield portal, base
        httpx.delete(f"{base}/_config/webhooks/portal-{os.getpid()}")


async def test_a_contact_person_pays_an_invoice_online(stripe_portal, context, monkeypatch):
    portal, stripe_base = stripe_portal
    Clock(monkeypatch)  # January 2027 invoiced here; the portal pays it on the real day
    made = await invoiced()
    person = made["contact"]["person_row"]
    page = await signed_in_page(context, portal, {EID_CLAIM: person["personal_identity_number"]})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.route("https://js.stripe.com/**", lambda route: route.abort())

    invoice_url = f"{portal}/organisation/invoices/{made['invoice']['id']}"
    await page.goto(invoice_url)
    await page.get_by_role("link", name="Pay online").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(made["invoice"]["number"])
    await expect(page.locator("#payment-message")).to_contain_text("Pay by bank transfer")
    response = await page.request.get(f"{invoice_url}/pay")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in policy
    await shot(page, "pay-invoice")

    intent_id = (await page.locator("#stripe-pay").get_attribute("data-client-secret") or "").split(
        "_secret_"
    )[0]
    assert (await confirm_with_card(stripe_base, intent_id))["status"] == "succeeded"
    for _attempt in range(60):  # the worker records the payment once Stripe's event is in
        await page.goto(f"{invoice_url}?redirect_status=succeeded")
        if not await page.get_by_role("link", name="Pay online").count():
            break
        await page.wait_for_timeout(500)
    await expect(page.get_by_role("link", name="Pay online")).to_have_count(0)
    await expect(page.locator(".flash-success")).to_contain_text("Stripe has your payment")
    await shot(page, "paid-invoice")
    assert [e for e in errors if "js.stripe.com" not in e and "ERR_FAILED" not in e] == []
