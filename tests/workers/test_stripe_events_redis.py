"""Stripe's events wait in the database, not in Redis: an event received while no worker runs
and Redis is emptied (a restart without persistence) is processed once a worker is back, and
the invoice is paid once."""

from __future__ import annotations

import os

import redis

from src.billing import repository
from src.billing.services import stripe_events
from src.billing.tables import Payment, StripeEvent
from src.core import db
from src.core.tenancy import TenantScope
from src.settings import Settings, override_settings
from tests.billing.invoiced import Clock, invoiced
from tests.billing.test_online_payments import SECRET, event, signed
from tests.subscriptions.support import admin_actor
from tests.workers.conftest import wait_until


async def test_an_event_waiting_while_redis_restarts_is_processed_once_a_worker_is_back(
    start_worker, clean_redis, monkeypatch
):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_portal")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_portal")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    override_settings(Settings.from_env(dict(os.environ)))
    Clock(monkeypatch)
    made = await invoiced()
    invoice = made["invoice"]
    scope = TenantScope(await admin_actor(), made["org"]["id"])
    async with db.transaction():
        await repository.insert_intent(
            scope,
            invoice=invoice["id"],
            intent_id="pi_waiting_1",
            client_secret="pi_waiting_1_secret_x",
            amount_cents=invoice["total_cents"],
            status="processing",
        )
    intent = {
        "id": "pi_waiting_1",
        "object": "payment_intent",
        "amount": invoice["total_cents"],
        "amount_received": invoice["total_cents"],
        "status": "succeeded",
    }
    body, headers = signed(event("payment_intent.succeeded", intent, "evt_waiting_1"))
    assert await stripe_events.receive(body, headers["Stripe-Signature"]) is True

    client = redis.Redis.from_url(clean_redis)
    try:  # Redis restarted with nothing kept: the broker's queues are empty
        for key in list(client.scan_iter(match="portal:*", count=500)):
            client.delete(key)
    finally:
        client.close()
    worker = start_worker(
        "--threads",
        "2",
        STRIPE_SECRET_KEY="sk_test_portal",
        STRIPE_PUBLISHABLE_KEY="pk_test_portal",
        STRIPE_WEBHOOK_SECRET=SECRET,
    )
    await wait_until(
        lambda: StripeEvent.exists().where(StripeEvent.processed_at.is_not_null()),
        lambda: f"the worker processing the waiting event\n{worker.log}",
    )
    [payment] = await Payment.select()
    assert payment["amount_cents"] == invoice["total_cents"]
    assert payment["external_id"] == "stripe:pi_waiting_1"
