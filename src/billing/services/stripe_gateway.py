"""The portal's calls to Stripe, through Stripe's own client library (`stripe`, async over httpx).

One client per process, made from the settings (STRIPE_SECRET_KEY; STRIPE_API_BASE points it at an
emulator). Every call that makes something at Stripe carries an idempotency key, so a call that is
retried (the network failed after Stripe acted) makes it once; the library retries network errors
itself. Webhook signatures are verified with the library too (`event`)."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import stripe

from src.settings import get_settings

# One client per event loop (its connections belong to the loop: the web app's and a worker's
# differ) and per settings.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], stripe.StripeClient]] = (
    weakref.WeakKeyDictionary()
)


def client() -> stripe.StripeClient:
    settings = get_settings()
    key = (settings.stripe_secret_key, settings.stripe_api_base)
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(key)
    if found is None:
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        found = per_loop[key] = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=stripe.HTTPXClient(),
            max_network_retries=2,
        )
    return found


async def create_customer(name: str, email: str, metadata: dict[str, str], idempotency_key: str) -> str:
    params: dict[str, Any] = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    customer = await client().v1.customers.create_async(
        params,  # type: ignore[arg-type]
        {"idempotency_key": idempotency_key},
    )
    return str(customer.id)


async def create_intent(
    amount_cents: int,
    currency: str,
    customer_id: str,
    methods: list[str],
    metadata: dict[str, str],
    idempotency_key: str,
    payment_method: str = "",
) -> Any:
    """A PaymentIntent, not confirmed: making one moves no money. What it is for travels in its
    metadata (the invoice's number and ids), which Stripe's dashboard shows."""
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": currency.lower(),
        "customer": customer_id,
        "payment_method_types": methods,
        "metadata": metadata,
    }
    if payment_method:
        params["payment_method"] = payment_method
    return await client().v1.payment_intents.create_async(
        params,  # type: ignore[arg-type]
        {"idempotency_key": idempotency_key},
    )


async def confirm_saved(intent_id: str) -> Any:
    """Confirm an intent made with a saved payment method (a direct debit under the mandate the
    customer gave, which needs nobody present). Stripe refuses to confirm an intent twice; the
    intent as it is then is the answer (refused for another reason, the error stands)."""
    try:
        return await client().v1.payment_intents.confirm_async(intent_id)
    except stripe.InvalidRequestError:
        intent = await retrieve_intent(intent_id)
        if str(intent.status) in ("requires_confirmation", "requires_payment_method"):
            raise
        return intent


async def retrieve_intent(intent_id: str) -> Any:
    return await client().v1.payment_intents.retrieve_async(intent_id)


async def create_setup_intent(customer_id: str, idempotency_key: str, metadata: dict[str, str]) -> Any:
    params: dict[str, Any] = {
        "customer": customer_id,
        "payment_method_types": ["sepa_debit"],
        "usage": "off_session",
        "metadata": metadata,
    }
    return await client().v1.setup_intents.create_async(
        params,  # type: ignore[arg-type]
        {"idempotency_key": idempotency_key},
    )


async def payment_method(payment_method_id: str) -> Any:
    return await client().v1.payment_methods.retrieve_async(payment_method_id)


async def detach(payment_method_id: str) -> None:
    """Take a saved payment method off its customer (a mandate stopped); gone already is fine."""
    try:
        await client().v1.payment_methods.detach_async(payment_method_id)
    except stripe.InvalidRequestError:
        return


async def refund(intent_id: str, amount_cents: int, metadata: dict[str, str], idempotency_key: str) -> Any:
    return await client().v1.refunds.create_async(
        {"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata},
        {"idempotency_key": idempotency_key},
    )


def event(payload: bytes, signature: str) -> Any:
    """The event Stripe signed, or ValueError / stripe.SignatureVerificationError."""
    return stripe.Webhook.construct_event(payload, signature, get_settings().stripe_webhook_secret)


async def refunds_of(intent_id: str) -> list[Any]:
    """The refunds made of a payment (every page)."""
    found: list[Any] = []
    params: dict[str, Any] = {"payment_intent": intent_id, "limit": 100}
    while True:
        page = await client().v1.refunds.list_async(params)  # type: ignore[arg-type]
        found += list(page.data)
        if not page.has_more or not page.data:
            return found
        params["starting_after"] = page.data[-1].id
