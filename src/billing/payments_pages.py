"""Vendor admins: the latest payments of every organisation, and a form to record one by hand."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import URLEncodedBody
from litestar.response import Template

from src.billing.services import payments
from src.core import clock
from src.core.errors import Conflict, InputError
from src.core.i18n import _, format_money
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin

Form = URLEncodedBody[dict[str, str]]
FIELDS = ("invoice", "amount", "paid_on", "reference")


class PaymentsAdmin(Controller):
    path = "/admin/billing/payments"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "billing/admin_payments.html",
            {
                "payments": await payments.recent(actor),
                "values": values or {"paid_on": clock.today().isoformat()},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def record(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {name: (data.get(name) or "").strip() for name in FIELDS}
        try:
            result = await payments.record_by_hand(
                actor, values["invoice"], values["amount"], values["paid_on"], values["reference"]
            )
        except InputError as exc:
            return await self._page(request, actor, values, dict(exc.errors), 422)
        except Conflict as exc:
            return await self._page(request, actor, values, {"invoice": exc.message}, 409)
        invoice = result["invoice"]
        paid = result["payment"]
        if invoice["open_cents"]:
            message = _(
                "Payment of %(amount)s on invoice %(number)s recorded; %(open)s is still open.",
                amount=format_money(paid["amount_cents"], paid["currency"]),
                number=invoice["number"],
                open=format_money(invoice["open_cents"], invoice["currency"]),
            )
        else:
            message = _(
                "Payment of %(amount)s on invoice %(number)s recorded; the invoice is paid.",
                amount=format_money(paid["amount_cents"], paid["currency"]),
                number=invoice["number"],
            )
        flash(request, message)
        return redirect(request, "/admin/billing/payments")


ROUTES: list[Any] = [PaymentsAdmin]
