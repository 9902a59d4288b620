"""Paying an invoice online through Stripe, against localstripe (the Stripe emulator the test
command starts): a PaymentIntent for what is open, confirmed the way Stripe.js confirms it, and
Stripe's signed events paying the invoice once, however often and in whatever order they come."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx
import pytest

from src.billing.tables import Payment, StripeEvent, StripeIntent
from src.core.tables import OutboxMessage
from tests.billing.invoiced import Clock, invoiced, run_queued
from tests.subscriptions.support import bearer_for

SECRET = "whsec_portal_tests"


@pytest.fixture(autouse=True)
def stripe_settings(monkeypatch: pytest.MonkeyPatch) -> str:
    base = os.environ.get("TEST_STRIPE_API_BASE", "")
    if not base:
        pytest.fail("TEST_STRIPE_API_BASE is not set: the test command starts localstripe and sets it")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_portal")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_portal")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("STRIPE_PAYMENT_METHODS", "card,sepa_debit")
    monkeypatch.setenv("STRIPE_API_BASE", base)
    return base


def url(made: dict[str, Any]) -> str:
    return f"/api/v1/organisations/{made['org']['id']}/invoices/{made['invoice']['id']}/payment-intent"


def signed(event: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """An event as Stripe sends it: the body, and its signature over the timestamp and body."""
    body = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


AUTH = ("sk_test_portal", "")


async def at_stripe(base: str, intent_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(auth=AUTH) as stripe:
        return (await stripe.get(f"{base}/v1/payment_intents/{intent_id}")).json()


async def confirm_with_card(base: str, intent_id: str) -> dict[str, Any]:
    """What Stripe.js does in the page: the card onto the intent, then confirm it."""
    async with httpx.AsyncClient(auth=AUTH) as stripe:
        return await _confirm(stripe, base, intent_id)


async def _confirm(stripe: httpx.AsyncClient, base: str, intent_id: str) -> dict[str, Any]:
    card = (
        await stripe.post(
            f"{base}/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
    ).json()
    await stripe.post(f"{base}/v1/payment_intents/{intent_id}", data={"payment_method": card["id"]})
    return (await stripe.post(f"{base}/v1/payment_intents/{intent_id}/confirm")).json()


def event(kind: str, intent: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": intent},
    }


async def run_outbox() -> int:
    return await run_queued("billing.stripe_event")


async def invoice_status(client, made, headers) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/organisations/{made['org']['id']}/invoices/{made['invoice']['id']}", headers=headers
    )
    return answer.json()


async def test_an_invoice_paid_online_is_paid_once_however_often_stripe_reports_it(
    client, monkeypatch, stripe_settings
):
    Clock(monkeypatch)
    made = await invoiced()
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])

    first = await client.post(url(made), headers=own)
    assert first.status_code == 200, first.text
    intent = first.json()
    assert intent["publishable_key"] == "pk_test_portal"
    assert intent["amount_cents"] == made["invoice"]["total_cents"]
    assert intent["client_secret"].startswith(intent["intent_id"])
    again = await client.post(url(made), headers=own)
    assert again.json()["intent_id"] == intent["intent_id"]  # a reload makes no second intent
    stored_at_stripe = await at_stripe(stripe_settings, intent["intent_id"])
    assert stored_at_stripe["amount"] == made["invoice"]["total_cents"]
    assert stored_at_stripe["metadata"]["invoice_number"] == made["invoice"]["number"]

    succeeded = await confirm_with_card(stripe_settings, intent["intent_id"])
    assert succeeded["status"] == "succeeded"
    body, headers = signed(event("payment_intent.succeeded", succeeded, "evt_paid_1"))
    for _ in range(3):  # Stripe sends an event again when it is not sure it arrived
        answer = await client.post("/webhooks/stripe", content=body, headers=headers)
        assert answer.status_code == 200
    assert await StripeEvent.count() == 1
    # A failure of the same intent arriving late changes nothing.
    late_body, late_headers = signed(event("payment_intent.payment_failed", succeeded, "evt_late_fail"))
    assert (await client.post("/webhooks/stripe", content=late_body, headers=late_headers)).status_code == 200
    await run_outbox()
    await run_outbox()  # handed over again: nothing twice

    payments = await Payment.select()
    assert len(payments) == 1
    assert payments[0]["amount_cents"] == made["invoice"]["total_cents"]
    assert payments[0]["method"] == "stripe"
    assert (await StripeIntent.select(StripeIntent.status).first())["status"] == "succeeded"
    shown = await invoice_status(client, made, own)
    assert shown["status"] == "paid"
    assert shown["open_cents"] == 0
    nothing_left = await client.post(url(made), headers=own)
    assert nothing_left.status_code == 409
    assert "Nothing is left to pay" in nothing_left.json()["detail"]


async def test_a_failure_before_the_success_leaves_the_invoice_payable_and_then_paid(
    client, monkeypatch, stripe_settings
):
    Clock(monkeypatch)
    made = await invoiced()
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    intent = (await client.post(url(made), headers=own)).json()
    stored_at_stripe = await at_stripe(stripe_settings, intent["intent_id"])
    failed = {**stored_at_stripe, "last_payment_error": {"message": "Your card was declined."}}
    body, headers = signed(event("payment_intent.payment_failed", failed, "evt_fail"))
    await client.post("/webhooks/stripe", content=body, headers=headers)
    await run_outbox()
    assert (await StripeIntent.select(StripeIntent.last_error).first())[
        "last_error"
    ] == "Your card was declined."
    assert (await invoice_status(client, made, own))["status"] == "open"

    succeeded = await confirm_with_card(stripe_settings, intent["intent_id"])
    body, headers = signed(event("payment_intent.succeeded", succeeded, "evt_ok"))
    await client.post("/webhooks/stripe", content=body, headers=headers)
    await run_outbox()
    assert (await invoice_status(client, made, own))["status"] == "paid"
    assert await Payment.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": "t=1,v1=00"},
        {"Stripe-Signature": "garbage"},
    ],
    ids=["missing", "wrong", "unreadable"],
)
async def test_a_call_stripe_did_not_sign_is_refused_and_nothing_is_stored(client, headers):
    body = json.dumps(
        {"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}}
    ).encode()
    answer = await client.post("/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 400
    assert "not signed by Stripe" in answer.json()["detail"]
    assert await StripeEvent.count() == 0
    assert await OutboxMessage.count() == 0


async def test_signed_with_another_secret_is_refused(client):
    body, headers = signed(
        {"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": {}}},
        secret="whsec_someone_else",
    )
    assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 400
    assert await StripeEvent.count() == 0


async def test_only_the_organisations_contact_persons_pay_and_only_open_final_invoices(client, monkeypatch):
    Clock(monkeypatch)
    made = await invoiced()
    other = await invoiced(name="Andere Zorg B.V.")
    stranger = await bearer_for(other["contact"]["person"], other["org"]["id"])
    assert (await client.post(url(made), headers=stranger)).status_code == 404
    missing = url(made).replace(f"/invoices/{made['invoice']['id']}/", "/invoices/999999/")
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    assert (await client.post(missing, headers=own)).status_code == 404
    assert await StripeIntent.count() == 0


async def test_without_stripe_settings_paying_online_answers_409_and_the_webhook_400(monkeypatch):
    from litestar.testing import AsyncTestClient

    from tests.support import PortalClient, portal_app

    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        monkeypatch.delenv(name)
    Clock(monkeypatch)
    made = await invoiced()
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    async with AsyncTestClient(app=portal_app(), base_url="http://testserver.local") as raw:
        client = PortalClient(raw)
        answer = await client.post(url(made), headers=own)
        assert answer.status_code == 409
        assert "bank transfer" in answer.json()["detail"]
        body, headers = signed({"id": "evt_y", "type": "payment_intent.succeeded", "data": {"object": {}}})
        assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 400
