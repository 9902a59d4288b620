"""A credit note on an invoice paid online goes back through Stripe (localstripe), once, also when
the worker is killed between Stripe's refund and the portal's record of it."""

from __future__ import annotations

import signal
from typing import Any

import httpx

from src.billing.services import credits, stripe_refunds
from src.billing.tables import Payment
from src.core.tables import AuditEntry, OutboxMessage
from tests.billing import dying_refunder
from tests.billing.invoiced import Clock, invoiced, run_queued
from tests.billing.test_online_payments import AUTH, confirm_with_card, event, run_outbox, signed, url
from tests.billing.test_online_payments import stripe_settings as stripe_settings
from tests.subscriptions.support import admin_actor, bearer_for


async def paid_online(client, base: str) -> tuple[dict[str, Any], str]:
    made = await invoiced()
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    intent = (await client.post(url(made), headers=own)).json()
    succeeded = await confirm_with_card(base, intent["intent_id"])
    body, headers = signed(event("payment_intent.succeeded", succeeded, f"evt_{intent['intent_id']}"))
    assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 200
    await run_outbox()
    return made, intent["intent_id"]


async def refunds_at_stripe(base: str, intent_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(auth=AUTH) as stripe:
        answer = await stripe.get(f"{base}/v1/refunds", params={"payment_intent": intent_id})
    return answer.json()["data"]


async def credit_first_line(made: dict[str, Any]) -> dict[str, Any]:
    return await credits.credit(
        await admin_actor(), made["invoice"]["id"], "Webcert was not available", [made["lines"][0]["id"]]
    )


async def run_refunds() -> None:
    await run_queued(stripe_refunds.REFUND_ACTOR)


async def test_a_credit_note_on_an_invoice_paid_online_is_refunded_once(client, monkeypatch, stripe_settings):
    Clock(monkeypatch)
    made, intent_id = await paid_online(client, stripe_settings)
    note = await credit_first_line(made)
    await run_refunds()
    await run_refunds()  # handed over again: nothing twice
    [refund] = await refunds_at_stripe(stripe_settings, intent_id)
    assert refund["amount"] == note["total_cents"]
    assert refund["metadata"]["credit_note"] == note["number"]
    recorded = await Payment.select().where(Payment.amount_cents < 0)
    assert [(p["amount_cents"], p["method"]) for p in recorded] == [(-note["total_cents"], "refund")]
    assert await AuditEntry.count().where(AuditEntry.action == "billing.refund_made") == 1
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    statement = (await client.get(f"/api/v1/organisations/{made['org']['id']}/statement", headers=own)).json()
    assert statement["total_due_cents"] == 0


async def test_a_refund_killed_before_it_was_recorded_is_recorded_once_and_not_made_again(
    client, monkeypatch, stripe_settings
):
    clock = Clock(monkeypatch)
    made, intent_id = await paid_online(client, stripe_settings)
    note = await credit_first_line(made)
    process = dying_refunder.start(made["org"]["id"], note["id"], clock.moment)
    assert process.wait(120) == -signal.SIGKILL
    assert len(await refunds_at_stripe(stripe_settings, intent_id)) == 1  # Stripe refunded
    assert await Payment.count().where(Payment.amount_cents < 0) == 0  # the portal did not record it

    await run_refunds()  # the outbox hands it over again
    assert len(await refunds_at_stripe(stripe_settings, intent_id)) == 1
    assert await Payment.count().where(Payment.amount_cents < 0) == 1


async def test_a_credit_note_on_an_invoice_paid_by_bank_transfer_refunds_nothing_through_stripe(
    client, monkeypatch
):
    Clock(monkeypatch)
    made = await invoiced()
    await credit_first_line(made)
    assert await OutboxMessage.count().where(OutboxMessage.actor_name == stripe_refunds.REFUND_ACTOR) == 0
