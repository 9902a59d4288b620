"""Paying an invoice online through Stripe (rule BIL-6), when Stripe is configured.

**Paying.** A contact person pays an open invoice from its page: `payment_intent` makes (or
reuses) a PaymentIntent for the amount open, on the payer's Stripe customer (one per organisation;
made once, `StripeCustomer`), offering the payment methods of STRIPE_PAYMENT_METHODS; Stripe's
Payment Element in the page confirms it with the intent's client secret. An intent that can still
be paid is reused for the same amount, so reloading the page makes no second one; an intent
Stripe made but the portal failed to store can never be paid, as nobody has its secret.

Stripe's events (the payment reported) are handled in services/stripe_events.py.

Without Stripe's settings the portal offers no online payment and nothing here is called.
"""

from __future__ import annotations

from typing import Any

import stripe

from src.billing import repository
from src.billing.services import payments, stripe_gateway
from src.core import db
from src.core.errors import Conflict, NotFound, Unavailable
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.tenants.services.organisations import get_organisation

STRIPE_JS = "https://js.stripe.com/v3/"
# The payment page loads Stripe.js from Stripe (as Stripe requires) and lets it open its frames
# and call its API; every other page keeps the portal's own policy (src.core.security).
PAGE_CSP = (
    "default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self'; "
    "img-src 'self' data: https://*.stripe.com; font-src 'self'; "
    "connect-src 'self' https://api.stripe.com https://m.stripe.network; "
    "frame-src https://js.stripe.com https://hooks.stripe.com; form-action 'self'; "
    "base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
# The workers acting on Stripe's events and collecting direct debits act for every organisation.
STRIPE = Actor(person_id=0, name="Stripe", is_vendor_admin=True)


def enabled() -> bool:
    return get_settings().stripe_enabled


async def customer(organisation: dict[str, Any]) -> str:
    payer = f"organisation:{organisation['id']}"
    found = await repository.stripe_customer_id(payer)
    if found:
        return found
    customer_id = await stripe_gateway.create_customer(
        organisation["name"],
        organisation.get("billing_email") or "",
        {"organisation_id": str(organisation["id"])},
        idempotency_key=f"customer-{payer}",
    )
    async with db.transaction():
        await repository.insert_stripe_customer(payer, int(organisation["id"]), customer_id)
    # Of two first payments at once, the customer stored first is the payer's.
    return await repository.stripe_customer_id(payer) or customer_id


async def payable(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any]:
    """The invoice with what is open on it, for a contact person who may pay it (409 otherwise)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    invoice = await repository.invoice(scope, invoice_id)
    if invoice["kind"] != "invoice" or invoice["status"] != "final":
        raise NotFound()
    [annotated] = await payments.annotate(actor, organisation_id, [invoice])
    if annotated["payer_kind"] != "organisation":
        raise Conflict(
            _("This invoice is paid by %(payer)s, not by your organisation.", payer=invoice["payer_name"])
        )
    if annotated["open_cents"] <= 0:
        raise Conflict(_("Nothing is left to pay on this invoice."))
    return annotated


async def payment_intent(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any]:
    """A PaymentIntent for what is open on the invoice: `client_secret`, `publishable_key`,
    `amount_cents`, `currency` (contact persons; 409 without Stripe or with nothing to pay)."""
    settings = get_settings()
    if not settings.stripe_enabled:
        raise Conflict(_("Online payment is not offered; pay by bank transfer with the payment reference."))
    invoice = await payable(actor, organisation_id, invoice_id)
    try:
        return await _intent(actor, organisation_id, invoice)
    except stripe.StripeError as failed:
        raise Unavailable(
            _(
                "Online payment cannot be reached right now; try again in a few minutes"
                " or pay by bank transfer."
            )
        ) from failed


async def _intent(actor: Actor, organisation_id: int, invoice: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    invoice_id = int(invoice["id"])
    scope = TenantScope(actor, organisation_id)
    amount = int(invoice["open_cents"])
    found = await repository.open_intent(scope, invoice_id, amount)
    if found is None:
        organisation = await get_organisation(actor, organisation_id)
        customer_id = await customer(organisation)
        attempt = len(await repository.intents_of(scope, invoice_id))
        intent = await stripe_gateway.create_intent(
            amount,
            invoice["currency"],
            customer_id,
            list(settings.stripe_payment_methods),
            metadata={
                "invoice_id": str(invoice_id),
                "organisation_id": str(organisation_id),
                "invoice_number": str(invoice["number"]),
            },
            idempotency_key=f"invoice-{invoice_id}-{amount}-{attempt}",
        )
        async with db.transaction():
            await repository.insert_intent(
                scope,
                invoice=invoice_id,
                intent_id=str(intent.id),
                client_secret=str(intent.client_secret),
                amount_cents=amount,
                currency=invoice["currency"],
                status=str(intent.status),
                created_by=actor.person_id or None,
            )
        found = {"intent_id": str(intent.id), "client_secret": str(intent.client_secret)}
    return {
        "client_secret": found["client_secret"],
        "publishable_key": settings.stripe_publishable_key,
        "intent_id": found["intent_id"],
        "amount_cents": amount,
        "currency": invoice["currency"],
        "payment_methods": list(settings.stripe_payment_methods),
    }


async def last_failure(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any] | None:
    """The invoice's latest online payment or direct debit, when it failed (with Stripe's reason)."""
    scope = TenantScope(actor, organisation_id)
    attempts = await repository.intents_of(scope, invoice_id)
    if attempts and attempts[0]["last_error"] and attempts[0]["status"] != "succeeded":
        return attempts[0]
    return None
