"""Paying online (contact persons): an invoice with Stripe's Payment Element, and a SEPA Direct
Debit mandate so that invoices are collected on their due dates."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from src.billing.services import direct_debit, online_payments
from src.core.errors import Conflict, Unavailable
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.vendor import vendor
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.guards import provide_contact_person


def _with_stripe(response: Response[Any]) -> Response[Any]:
    response.headers["content-security-policy"] = online_payments.PAGE_CSP
    return response


class OnlinePayment(Controller):
    path = "/organisation"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_contact_person)}

    @get("/invoices/{invoice_id:int}/pay")
    async def pay(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        """Pay the invoice online with Stripe's Payment Element (when Stripe is configured)."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            intent = await online_payments.payment_intent(actor, actor.organisation_id, invoice_id)
        except (Conflict, Unavailable) as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/organisation/invoices/{invoice_id}")
        base = str(request.base_url).rstrip("/")
        invoice = await online_payments.payable(actor, actor.organisation_id, invoice_id)
        seller = vendor()
        return _with_stripe(
            page(
                request,
                "billing/org_pay.html",
                {
                    "invoice": invoice,
                    "transfer": {
                        "iban": seller.iban_display,
                        "reference": invoice.get("payment_reference") or invoice["number"],
                    }
                    if seller.iban
                    else None,
                    "intent": intent,
                    "mode": "payment",
                    "stripe_js": online_payments.STRIPE_JS,
                    "return_url": f"{base}/organisation/invoices/{invoice_id}",
                },
            )
        )

    @get("/direct-debit")
    async def direct_debit_page(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return page(
            request,
            "billing/org_direct_debit.html",
            {
                "offered": direct_debit.offered(),
                "mandate": await direct_debit.mandate(actor, actor.organisation_id),
                "redirect_status": request.query_params.get("redirect_status", ""),
            },
        )

    @get("/direct-debit/setup")
    async def direct_debit_setup(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            intent = await direct_debit.setup_intent(actor, actor.organisation_id)
        except (Conflict, Unavailable) as exc:
            flash(request, exc.message, "error")
            return redirect(request, "/organisation/direct-debit")
        base = str(request.base_url).rstrip("/")
        return _with_stripe(
            page(
                request,
                "billing/org_pay.html",
                {
                    "intent": intent,
                    "mode": "setup",
                    "stripe_js": online_payments.STRIPE_JS,
                    "return_url": f"{base}/organisation/direct-debit",
                },
            )
        )

    @post("/direct-debit/stop")
    async def direct_debit_stop(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            await direct_debit.stop(actor, actor.organisation_id)
        except (Conflict, Unavailable) as exc:
            flash(request, exc.message, "error")
        else:
            flash(
                request,
                _("Direct debit is stopped: pay the next invoices by bank transfer or online."),
                "success",
            )
        return redirect(request, "/organisation/direct-debit")


ROUTES: list[Any] = [OnlinePayment]
