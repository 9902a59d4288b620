"""The organisation's invoices (contact persons) and the vendor admins' billing runs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from src.billing.services import documents, invoicing, runs
from src.core import clock
from src.core.errors import Conflict, InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.guards import provide_contact_person, provide_vendor_admin

Form = URLEncodedBody[dict[str, str]]


class OrganisationInvoices(Controller):
    path = "/organisation/invoices"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_contact_person)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        invoices = await invoicing.list_invoices(actor, actor.organisation_id)
        ready = await documents.available(actor, actor.organisation_id, [int(i["id"]) for i in invoices])
        return page(request, "billing/org_invoices.html", {"invoices": invoices, "documents_ready": ready})

    @get("/{invoice_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        invoice = await invoicing.get_invoice(actor, actor.organisation_id, invoice_id)
        ready = await documents.available(actor, actor.organisation_id, [invoice_id])
        return page(
            request, "billing/org_invoice.html", {"invoice": invoice, "documents_ready": invoice_id in ready}
        )

    @get("/{invoice_id:int}/{kind:str}")
    async def document(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        invoice_id: FromPath[int],
        kind: FromPath[str],
    ) -> Response[Any]:
        """The PDF ("pdf") or e-invoice ("ubl"); while it is being prepared, the page says so."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            filename, media_type, content = await documents.download(
                actor, actor.organisation_id, invoice_id, kind
            )
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/organisation/invoices/{invoice_id}")
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
        )


class BillingAdmin(Controller):
    path = "/admin/billing"
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
        listed = await runs.recent(actor)
        return page(
            request,
            "billing/admin_billing.html",
            {
                "runs": listed,
                "running": any(r["status"] == "running" for r in listed),
                "values": values or {"period": runs.previous_month(clock.today())},
                "errors": errors or {},
            },
            partial="billing/_runs.html",
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/runs")
    async def start(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {"period": (data.get("period") or "").strip()}
        try:
            run = await runs.start(actor, values["period"])
        except InputError as exc:
            return await self._page(request, actor, values, dict(exc.errors), status_code=422)
        except Conflict as exc:
            return await self._page(request, actor, values, {"period": exc.message}, status_code=409)
        flash(request, _("The billing run for %(month)s has started.", month=run["period"]))
        return redirect(request, "/admin/billing")

    @post("/runs/{run_id:int}/retry")
    async def retry(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], run_id: FromPath[int]
    ) -> Response[Any]:
        try:
            run = await runs.retry(actor, run_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, "/admin/billing")
        flash(
            request, _("The failed batches of the run for %(month)s are invoiced again.", month=run["period"])
        )
        return redirect(request, "/admin/billing")


ROUTES: list[Any] = [OrganisationInvoices, BillingAdmin]
