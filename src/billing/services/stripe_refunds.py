"""Money back through Stripe: a credit note on an invoice that was paid online is refunded to
the card or account it came from (rule BIL-6; issue of payments).

When a credit note is made for an invoice with a payment through Stripe, the refund is handed to
a worker in the credit note's transaction (outbox, one message per credit note). The worker
refunds what the customer has now paid beyond what the invoice asks, at most the credit note's
amount and at most what came through Stripe less what was refunded before: a credit note on an
invoice not yet fully paid lowers what is open and refunds nothing.

**Once.** Before it asks Stripe for a refund, the worker looks at the payment's refunds at Stripe
for one made for this credit note (its metadata names it); only when there is none does it ask
for one, with the credit note's idempotency key. The refund is recorded as a payment with a
negative amount (method "refund", its external id the refund's id, unique). Killed after Stripe
refunded and before the portal recorded it, the worker finds the refund at Stripe the next time
and records it: the money goes back once.
"""

from __future__ import annotations

from src.billing import repository
from src.billing.services import online_payments, payments, stripe_gateway
from src.core import audit, clock, db, outbox
from src.core.tenancy import TenantScope

REFUND_ACTOR = "billing.stripe_refund"
STRIPE = online_payments.STRIPE


def refund_key(credit_note_id: int) -> str:
    return f"stripe-refund:{credit_note_id}"


async def after_credit(scope: TenantScope, invoice_id: int, credit_note_id: int) -> None:
    """In the credit note's transaction: hand its refund to a worker when the invoice was paid
    (partly) through Stripe."""
    if not online_payments.enabled():
        return
    if await repository.stripe_paid_cents(scope, invoice_id) <= 0:
        return
    await outbox.enqueue(
        REFUND_ACTOR,
        {"organisation_id": scope.organisation_id, "credit_note_id": credit_note_id},
        refund_key(credit_note_id),
    )


async def refund(organisation_id: int, credit_note_id: int) -> str:
    """Refund a credit note through Stripe, once (see the module's text); what was done."""
    scope = TenantScope(STRIPE, organisation_id)
    note = await repository.invoice(scope, credit_note_id)
    invoice_id = int(note["credits"])
    invoice = await repository.invoice(scope, invoice_id)
    balance = await payments.balance_of(scope, invoice, clock.today())
    through_stripe = await repository.stripe_paid_cents(scope, invoice_id)
    amount = min(int(note["total_cents"]), balance.credit_balance_cents, through_stripe)
    intent = await repository.succeeded_intent(scope, invoice_id)
    if intent is None:
        return "not paid through Stripe"
    found = next(
        (
            r
            for r in await stripe_gateway.refunds_of(str(intent["intent_id"]))
            if (r.metadata.to_dict() if r.metadata else {}).get("credit_note_id") == str(credit_note_id)
        ),
        None,
    )
    if found is None:
        if amount <= 0:
            return "nothing to refund"
        found = await stripe_gateway.refund(
            str(intent["intent_id"]),
            amount,
            {"credit_note_id": str(credit_note_id), "credit_note": str(note["number"])},
            idempotency_key=refund_key(credit_note_id),
        )
    async with db.transaction():
        recorded = await repository.insert_refund(
            scope,
            invoice=invoice_id,
            payer_kind=invoice["payer_kind"],
            payer_name=invoice["payer_name"],
            amount_cents=-int(found.amount),
            currency=invoice["currency"],
            paid_on=clock.today(),
            reference=str(note["number"]),
            method="refund",
            external_id=f"stripe-refund:{found.id}",
            created_by_name="Stripe",
            created_at=clock.now(),
        )
        if recorded:
            await audit.record(
                STRIPE,
                "billing.refund_made",
                organisation_id=organisation_id,
                object_type="invoice",
                object_id=invoice_id,
                after={
                    "invoice": invoice["number"],
                    "credit_note": note["number"],
                    "amount_cents": int(found.amount),
                    "refund": str(found.id),
                },
            )
    return "refunded" if recorded else "refunded before"
