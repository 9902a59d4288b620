"""Stripe's events: the webhook's inbox and the worker that processes each event once.

`receive` verifies the signature of a call to `POST /webhooks/stripe` (bad or missing: refused,
nothing stored), stores the event under its unique id and hands it to a worker in the same
transaction: the inbox is in the database, so an event waiting while Redis is down is not lost,
and an event Stripe sends twice is stored once. `process` handles each event once
(`StripeEvent.processed_at`, claimed with a conditional UPDATE in the transaction that does the
work, so a worker killed half-way leaves it to be done again):
- `payment_intent.succeeded` records the payment, unless a payment with the intent's id was
  recorded before (the intent's row is locked first, so two events of one success record one);
- `payment_intent.payment_failed` / `.canceled` note the failure, unless the intent had succeeded
  (a failure arriving after the success changes nothing);
- `setup_intent.succeeded` stores a SEPA Direct Debit mandate (services/direct_debit.py).
Other events are stored and marked processed with nothing done.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import stripe

from src.billing import repository
from src.billing.services import direct_debit, online_payments, payments, stripe_gateway
from src.core import clock, db, outbox
from src.core.errors import InputError
from src.core.i18n import timezone_for

EVENT_ACTOR = "billing.stripe_event"
STRIPE = online_payments.STRIPE


class WebhookRefused(Exception):
    """A call to the webhook that Stripe did not sign (or that no Stripe setting expects)."""


async def receive(payload: bytes, signature: str | None) -> bool:
    """Store a webhook event Stripe signed and hand it to a worker; False when it was stored
    before. WebhookRefused for anything Stripe did not sign."""
    if not online_payments.enabled() or not signature:
        raise WebhookRefused()
    try:
        event = stripe_gateway.event(payload, signature)
    except (ValueError, stripe.SignatureVerificationError):
        raise WebhookRefused() from None
    body = json.loads(payload)
    event_id = str(body.get("id") or event.id)
    async with db.transaction():
        stored = await repository.insert_stripe_event(event_id, str(body.get("type") or ""), body)
        if stored:
            await outbox.enqueue(EVENT_ACTOR, {"event_id": event_id}, f"stripe-event:{event_id}")
    return stored


def _paid_on(event: dict[str, Any]) -> dt.date:
    """The day Stripe took the payment, in the vendor's time zone (never after today)."""
    today = clock.today()
    created = event.get("created")
    if isinstance(created, int | float) and not isinstance(created, bool):
        day = dt.datetime.fromtimestamp(created, dt.UTC).astimezone(timezone_for(None)).date()
        return min(day, today)
    return today


async def process(event_id: str) -> str:
    """Handle a stored event once; what was done (also kept on the event)."""
    async with db.transaction():
        row = await repository.stripe_event(event_id)
        if row is None or row["processed_at"] is not None:
            return "done before"
        event = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        if not await repository.mark_event_processed(event_id, "", clock.now()):
            return "done before"
        outcome = await _handle(event)
        await repository.mark_event_outcome(event_id, outcome)
        return outcome


async def _handle(event: dict[str, Any]) -> str:
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    intent_id = str(obj.get("id") or "")
    if kind == "setup_intent.succeeded":
        return await direct_debit.mandate_given(obj)
    if not kind.startswith("payment_intent.") or not intent_id:
        return "ignored"
    intent = await repository.intent_by_stripe_id(intent_id)
    if intent is None:
        return "not an intent of this portal"
    if kind == "payment_intent.succeeded":
        # The UPDATE locks the intent's row: of two events of its success, the second waits and
        # then finds the payment the first recorded.
        await repository.set_intent_status(intent_id, "succeeded", "", clock.now())
        if await repository.payment_recorded(f"stripe:{intent_id}"):
            return "paid before"
        amount = int(obj.get("amount_received") or obj.get("amount") or intent["amount_cents"])
        try:
            await payments.record(
                STRIPE,
                int(intent["invoice"]),
                amount,
                _paid_on(event),
                intent_id,
                method="stripe",
                external_id=f"stripe:{intent_id}",
            )
        except InputError as refused:
            return f"not recorded: {refused}"
        return "paid"
    if kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        error = (obj.get("last_payment_error") or {}).get("message") or ""
        status = "canceled" if kind.endswith("canceled") else "requires_payment_method"
        changed = await repository.set_intent_status(intent_id, status, str(error), clock.now())
        return "failed" if changed else "succeeded before; left as it is"
    return "ignored"
