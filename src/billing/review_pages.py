"""The vendor admins' drafts to review (INVOICE_REVIEW_DAYS): every draft with select-all, and
finalising the ones ticked (services/review.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from src.billing.services import review
from src.core.i18n import _, ngettext
from src.core.tenancy import Actor
from src.core.vendor import vendor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin


class ReviewAdmin(Controller):
    path = "/admin/billing/drafts"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self, request: Request[Any, Any, Any], actor: Actor, error: str = "", status_code: int = 200
    ) -> Template:
        return page(
            request,
            "billing/admin_drafts.html",
            {
                "drafts": await review.drafts(actor),
                "review_days": vendor().invoice_review_days,
                "error": error,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/finalise")
    async def finalise(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        form = await request.form()
        ticked = [str(x) for x in form.getall("invoices")] if "invoices" in form else []
        ids = [int(x) for x in ticked if x.isdecimal() and len(x) < 10]
        if form.get("all"):
            ids = [int(d["id"]) for d in await review.drafts(actor)]
        if not ids:
            return await self._page(request, actor, _("Choose the drafts to finalise."), 422)
        made = await review.finalise_selected(actor, ids)
        flash(request, ngettext("%(num)d invoice is finalised.", "%(num)d invoices are finalised.", made))
        return redirect(request, "/admin/billing/drafts")
