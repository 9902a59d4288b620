"""SEPA Direct Debit through Stripe: a contact person gives a mandate, and each invoice is then
collected on its due date (rule BIL-6: paid within the term, without deduction or set-off).

**The mandate.** `setup_intent` makes a SetupIntent for SEPA Direct Debit on the organisation's
Stripe customer; the contact person fills in the bank account in Stripe's Payment Element, which
shows Stripe's mandate text and confirms it. When Stripe reports `setup_intent.succeeded`, the
payment method is stored as the organisation's mandate (`mandate_given`, audited). A contact person
stops it (`stop`, audited): the payment method is taken off the customer at Stripe first, then
forgotten here.

**Collection, once.** The daily job (`collect_due`) hands each final invoice that is due, open and
not collected before, of an organisation with a mandate, to a worker (outbox, one message per
invoice). The worker (`collect`) makes the PaymentIntent *unconfirmed* and stores it under the
invoice's collection key before anything moves money, then confirms it with the saved payment
method. Killed anywhere, it is run again: an intent stored is confirmed (Stripe refuses to confirm
one twice, and the intent as it is is then taken); an intent made but not stored was never
confirmed, so it moves no money. One invoice is collected once: a debit that fails is not tried
again by itself (the invoice page says so, and the contact persons pay another way).
"""

from __future__ import annotations

from typing import Any

import stripe

from src.billing import repository
from src.billing.services import online_payments, payments, stripe_gateway
from src.core import audit, clock, db, outbox
from src.core.errors import Conflict, Unavailable
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.tenants.services.organisations import get_organisation

COLLECT_ACTOR = "billing.collect_direct_debit"


def offered() -> bool:
    settings = get_settings()
    return settings.stripe_enabled and "sepa_debit" in settings.stripe_payment_methods


def _collection_key(invoice_id: int) -> str:
    return f"direct-debit:{invoice_id}"


async def mandate(actor: Actor, organisation_id: int) -> dict[str, Any] | None:
    """The organisation's mandate (contact persons and vendor admins), or None."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return await repository.mandate_of(scope)


async def setup_intent(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """A SetupIntent for a SEPA Direct Debit mandate: `client_secret`, `publishable_key`."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    if not offered():
        raise Conflict(_("Direct debit is not offered; pay each invoice by bank transfer."))
    organisation = await get_organisation(actor, organisation_id)
    try:
        customer_id = await online_payments.customer(organisation)
        intent = await stripe_gateway.create_setup_intent(
            customer_id,
            idempotency_key=f"mandate-{organisation_id}-{actor.person_id}-{clock.now().timestamp()}",
            metadata={"organisation_id": str(organisation_id), "person_id": str(actor.person_id or "")},
        )
    except stripe.StripeError as failed:
        raise Unavailable(
            _("Direct debit cannot be set up right now; try again in a few minutes.")
        ) from failed
    return {
        "client_secret": str(intent.client_secret),
        "publishable_key": get_settings().stripe_publishable_key,
    }


def _label(method: Any) -> str:
    """The bank account as shown: its country and last four digits ("DE•• •••• 3000")."""
    sepa = method.to_dict().get("sepa_debit") or {}
    country, last4 = str(sepa.get("country") or ""), str(sepa.get("last4") or "")
    return f"{country}•• •••• {last4}" if last4 else country


async def mandate_given(setup: dict[str, Any]) -> str:
    """A SetupIntent succeeded at Stripe: its payment method is the organisation's mandate."""
    customer_id = str(setup.get("customer") or "")
    method_id = str(setup.get("payment_method") or "")
    if not customer_id or not method_id:
        return "ignored: no customer or payment method"
    method = await stripe_gateway.payment_method(method_id)
    if str(getattr(method, "type", "")) != "sepa_debit":
        return "ignored: not a direct debit"
    person = str((setup.get("metadata") or {}).get("person_id") or "")
    row = await repository.set_mandate(
        customer_id, method_id, _label(method), int(person) if person.isdigit() else None, clock.now()
    )
    if row is None or row["organisation"] is None:
        return "not a customer of this portal"
    await audit.record(
        online_payments.STRIPE,
        "billing.direct_debit_mandate_given",
        organisation_id=int(row["organisation"]),
        object_type="organisation",
        object_id=int(row["organisation"]),
        after={"account": row["mandate_label"], "given_by": person},
    )
    return "mandate stored"


async def stop(actor: Actor, organisation_id: int) -> None:
    """Stop the organisation's direct debit (contact persons; audited). Invoices already handed
    to Stripe for collection are collected still."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    found = await repository.mandate_of(scope)
    if found is None:
        raise Conflict(_("Your organisation has no direct debit to stop."))
    try:
        await stripe_gateway.detach(str(found["sepa_payment_method"]))
    except stripe.StripeError as failed:
        raise Unavailable(
            _("Direct debit cannot be stopped right now; try again in a few minutes.")
        ) from failed
    async with db.transaction():
        await repository.clear_mandate(scope)
        await audit.record(
            actor,
            "billing.direct_debit_mandate_stopped",
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            before={"account": found["mandate_label"]},
        )


async def collect_due() -> int:
    """The daily job: hand each invoice due for collection to a worker, once; how many."""
    handed = 0
    for invoice in await repository.direct_debits_due(clock.today()):
        [annotated] = await payments.annotate(online_payments.STRIPE, int(invoice["organisation"]), [invoice])
        if annotated["open_cents"] <= 0:
            continue
        async with db.transaction():
            await outbox.enqueue(
                COLLECT_ACTOR,
                {"organisation_id": int(invoice["organisation"]), "invoice_id": int(invoice["id"])},
                _collection_key(int(invoice["id"])),
            )
        handed += 1
    return handed


async def collect(organisation_id: int, invoice_id: int) -> str:
    """Collect one invoice by direct debit, once (see the module's text)."""
    key = _collection_key(invoice_id)
    scope = TenantScope(online_payments.STRIPE, organisation_id)
    row = await repository.intent_by_collection_key(key)
    if row is None:
        invoice = await repository.invoice(scope, invoice_id)
        [annotated] = await payments.annotate(online_payments.STRIPE, organisation_id, [invoice])
        found = await repository.mandate_of(scope)
        if annotated["open_cents"] <= 0 or found is None:
            return "nothing to collect"
        intent = await stripe_gateway.create_intent(
            int(annotated["open_cents"]),
            invoice["currency"],
            str(found["customer_id"]),
            ["sepa_debit"],
            metadata={
                "invoice_id": str(invoice_id),
                "organisation_id": str(organisation_id),
                "collection": key,
            },
            idempotency_key=key,
            payment_method=str(found["sepa_payment_method"]),
        )
        async with db.transaction():
            await repository.insert_intent(
                scope,
                invoice=invoice_id,
                intent_id=str(intent.id),
                purpose="direct_debit",
                collection_key=key,
                client_secret=str(intent.client_secret or ""),
                amount_cents=int(annotated["open_cents"]),
                currency=invoice["currency"],
                status=str(intent.status),
            )
        # Of two workers at once, the intent stored first is collected; the other is never confirmed.
        row = await repository.intent_by_collection_key(key)
        assert row is not None
    if row["status"] not in repository.OPEN_INTENT:
        return "collected before"
    confirmed = await stripe_gateway.confirm_saved(str(row["intent_id"]))
    message = str((confirmed.to_dict().get("last_payment_error") or {}).get("message") or "")
    async with db.transaction():
        await repository.set_intent_status(str(row["intent_id"]), str(confirmed.status), message, clock.now())
    return str(confirmed.status)
