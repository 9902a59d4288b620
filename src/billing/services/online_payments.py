"""Paying an invoice online through Stripe (rule BIL-6), when Stripe is configured.

**Paying.** A contact person pays an open invoice from its page: `payment_intent` makes (or
reuses) a PaymentIntent for the amount open, on the payer's Stripe customer (one per organisation;
made once, `StripeCustomer`), offering the payment methods of STRIPE_PAYMENT_METHODS; Stripe's
Payment Element in the page confirms it with the intent's client secret. An intent that can still
be paid is reused for the same amount, so reloading the page makes no second one; an intent
Stripe made but the portal failed to store can never be paid, as nobody has its secret.

**Stripe's events.** `receive` verifies the signature of a call to `POST /webhooks/stripe` (bad or
missing: refused, nothing stored), stores the event under its unique id and hands it to a worker
in the same transaction: the inbox is in the database, so an event waiting while Redis is down is
not lost, and an event Stripe sends twice is stored once. `process` handles each event once
(`StripeEvent.processed_at`, claimed with a conditional UPDATE in the transaction that does the
work): `payment_intent.succeeded` records the payment (its `external_id` the intent's id, unique,
so an intent pays once however often or in whatever order its events come);
`payment_intent.payment_failed` and `.canceled` note the failure unless the intent had succeeded
(a failure arriving after the success changes nothing). Other events are stored and marked
processed with nothing done.

Without Stripe's settings the portal offers no online payment and nothing here is called.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import stripe

from src.billing import repository
from src.billing.services import payments, stripe_gateway
from src.core import clock, db, outbox
from src.core.errors import Conflict, InputError, NotFound, Unavailable
from src.core.i18n import _, timezone_for
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.tenants.services.organisations import get_organisation

EVENT_ACTOR = "billing.stripe_event"
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
# The worker processing Stripe's events acts for every organisation.
STRIPE = Actor(person_id=0, name="Stripe", is_vendor_admin=True)


class WebhookRefused(Exception):
    """A call to the webhook that Stripe did not sign (or that no Stripe setting expects)."""


def enabled() -> bool:
    return get_settings().stripe_enabled


async def _customer(organisation: dict[str, Any]) -> str:
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
        customer_id = await _customer(organisation)
        attempt = len(await repository.intents_of(scope, invoice_id))
        intent = await stripe_gateway.create_intent(
            amount,
            invoice["currency"],
            customer_id,
            list(settings.stripe_payment_methods),
            description=_("Invoice %(number)s", number=invoice["number"]),
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


async def receive(payload: bytes, signature: str | None) -> bool:
    """Store a webhook event Stripe signed and hand it to a worker; False when it was stored
    before. WebhookRefused for anything Stripe did not sign."""
    if not enabled() or not signature:
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
    if not kind.startswith("payment_intent.") or not intent_id:
        return "ignored"
    intent = await repository.intent_by_stripe_id(intent_id)
    if intent is None:
        return "not an intent of this portal"
    if kind == "payment_intent.succeeded":
        # The conditional UPDATE locks the intent: of two events of its success, one records it.
        if not await repository.set_intent_status(intent_id, "succeeded", "", clock.now()):
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
