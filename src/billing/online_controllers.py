"""Online payment through Stripe in the API: a PaymentIntent for an invoice, and Stripe's webhook."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from src.billing import online_pages
from src.billing.services import online_payments, stripe_events
from src.core.i18n import _
from src.core.tenancy import Actor
from src.identity.auth import provide_actor


class PaymentIntentOut(msgspec.Struct):
    """What Stripe's Payment Element needs to take the payment in the page."""

    client_secret: str
    publishable_key: str
    intent_id: str
    amount_cents: int
    currency: str
    payment_methods: list[str]


class PaymentIntentsApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/invoices/{invoice_id:int}/payment-intent"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Pay an invoice online: a Stripe PaymentIntent for what is open",
        description=(
            "Contact persons of the organisation. Answers the intent's `client_secret` and the "
            "`publishable_key` for Stripe's Payment Element, for the amount open now; asked again for "
            "the same amount, the same intent. Without Stripe configured, with nothing left to pay, or "
            "for an invoice a third party pays: 409 with the reason; Stripe out of reach: 503. Another "
            "organisation's invoice, a draft or a credit note: 404. The invoice is paid once Stripe "
            "reports the payment (`POST /webhooks/stripe`)."
        ),
    )
    async def create(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], invoice_id: FromPath[int]
    ) -> PaymentIntentOut:
        found = await online_payments.payment_intent(actor, organisation_id, invoice_id)
        return PaymentIntentOut(**found)


class StripeWebhook(Controller):
    path = "/webhooks/stripe"
    tags = ["billing"]

    @post(
        "/",
        status_code=HTTP_200_OK,
        responses={
            400: ResponseSpec(data_container=None, description="Not signed by Stripe: nothing was stored.")
        },
        summary="Stripe's events (called by Stripe)",
        description="The body as Stripe sent it, signed in the `Stripe-Signature` header with "
        "STRIPE_WEBHOOK_SECRET. A missing or bad signature answers 400 and stores nothing. An event is "
        "stored under its id before any work and processed once by a worker; sent again, it answers 200 "
        "with `duplicate: true`.",
    )
    async def receive(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        if request.content_type[0] != "application/json":
            return Response(
                {"detail": _("The request is not signed by Stripe.")}, status_code=HTTP_400_BAD_REQUEST
            )
        payload = await request.body()
        try:
            stored = await stripe_events.receive(payload, request.headers.get("stripe-signature"))
        except stripe_events.WebhookRefused:
            return Response(
                {"detail": _("The request is not signed by Stripe.")}, status_code=HTTP_400_BAD_REQUEST
            )
        return Response({"received": True, "duplicate": not stored}, status_code=HTTP_200_OK)


ROUTES: list[Any] = [PaymentIntentsApi, StripeWebhook, *online_pages.ROUTES]
