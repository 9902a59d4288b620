"""The vendor admins' organisations at risk of suspension for non-payment (rule BIL-10): each
with an invoice of its own at the final notice or in collection, and a button to suspend it
(services/suspension.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from src.billing.services import suspension
from src.core.errors import Conflict
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin


class AtRiskAdmin(Controller):
    path = "/admin/billing/at-risk"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return page(
            request,
            "billing/admin_at_risk.html",
            {"rows": await suspension.at_risk(actor), "policy": suspension.policy()},
        )

    @post("/{organisation_id:int}/suspend")
    async def suspend(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Response[Any]:
        try:
            done = await suspension.suspend_for_non_payment(actor, organisation_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, "/admin/billing/at-risk")
        if done:
            flash(
                request,
                _("The organisation is suspended for non-payment; its open invoices are due at once."),
            )
        else:
            flash(request, _("This organisation was suspended already."), "error")
        return redirect(request, "/admin/billing/at-risk")
