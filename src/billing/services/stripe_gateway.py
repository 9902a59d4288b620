"""The portal's calls to Stripe, through Stripe's own client library (`stripe`, async over httpx).

One client per process, made from the settings (STRIPE_SECRET_KEY; STRIPE_API_BASE points it at an
emulator). Every call that makes something at Stripe carries an idempotency key, so a call that is
retried (the network failed after Stripe acted) makes it once; the library retries network errors
itself. Webhook signatures are verified with the library too (`event`)."""

from __future__ import annotations

from functools import cache
from typing import Any

import stripe

from src.settings import get_settings


@cache
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        http_client=stripe.HTTPXClient(),
        max_network_retries=2,
    )


def client() -> stripe.StripeClient:
    settings = get_settings()
    return _client(settings.stripe_secret_key, settings.stripe_api_base)


async def create_customer(name: str, email: str, metadata: dict[str, str], idempotency_key: str) -> str:
    customer = await client().v1.customers.create_async(
        {"name": name, "email": email or None, "metadata": metadata},  # type: ignore[typeddict-item]
        {"idempotency_key": idempotency_key},
    )
    return str(customer.id)


async def create_intent(
    amount_cents: int,
    currency: str,
    customer_id: str,
    methods: list[str],
    description: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Any:
    return await client().v1.payment_intents.create_async(
        {
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method_types": methods,
            "description": description,
            "metadata": metadata,
        },
        {"idempotency_key": idempotency_key},
    )


async def retrieve_intent(intent_id: str) -> Any:
    return await client().v1.payment_intents.retrieve_async(intent_id)


async def create_setup_intent(customer_id: str, idempotency_key: str, metadata: dict[str, str]) -> Any:
    return await client().v1.setup_intents.create_async(
        {
            "customer": customer_id,
            "payment_method_types": ["sepa_debit"],
            "usage": "off_session",
            "metadata": metadata,
        },
        {"idempotency_key": idempotency_key},
    )


async def refund(intent_id: str, amount_cents: int, metadata: dict[str, str], idempotency_key: str) -> Any:
    return await client().v1.refunds.create_async(
        {"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata},
        {"idempotency_key": idempotency_key},
    )


def event(payload: bytes, signature: str) -> Any:
    """The event Stripe signed, or ValueError / stripe.SignatureVerificationError."""
    return stripe.Webhook.construct_event(payload, signature, get_settings().stripe_webhook_secret)
