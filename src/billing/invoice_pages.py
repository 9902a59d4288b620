"""The vendor admins' invoices: the list of every invoice and credit note (search, filters,
pages; services/invoice_list.py) and one of them in full, with its documents and, for a draft,
finalising it (services/review.py, audited there)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from src.billing.services import documents, invoice_list, review
from src.core.errors import Conflict
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin

BASE = "/admin/billing/invoices"


def _url(params: dict[str, str]) -> str:
    return f"{BASE}?{urlencode(params)}" if params else BASE


class InvoicesAdmin(Controller):
    path = BASE
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        period: FromQuery[str] = "",
        payer: FromQuery[str] = "",
        page_number: Annotated[str, QueryParameter(name="page")] = "",
    ) -> Template:
        wanted = invoice_list.InvoiceQuery.parse(q, status, kind, period, payer, page_number)
        found = await invoice_list.find_invoices(actor, wanted)
        return page(
            request,
            "billing/admin_invoices.html",
            {
                "wanted": wanted,
                "found": found,
                "base": BASE,
                "list_url": lambda **changes: _url(wanted.params(**changes)),
                "statuses": list(invoice_list.status_labels().items()),
                "kinds": list(invoice_list.kind_labels().items()),
                "payers": list(invoice_list.payer_labels().items()),
            },
            partial="billing/_admin_invoices_table.html",
        )

    @get("/{invoice_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Template:
        return page(
            request,
            "billing/admin_invoice.html",
            {"invoice": await invoice_list.admin_invoice(actor, invoice_id)},
        )

    @get("/{invoice_id:int}/documents/{kind:str}")
    async def document(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        invoice_id: FromPath[int],
        kind: FromPath[str],
    ) -> Response[Any]:
        """The stored PDF ("pdf") or e-invoice ("ubl"); a draft or a document still being
        prepared sends the admin back to the invoice with a message."""
        organisation_id = await invoice_list.organisation_of(actor, invoice_id)
        try:
            filename, media_type, content = await documents.download(actor, organisation_id, invoice_id, kind)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"{BASE}/{invoice_id}")
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
        )

    @post("/{invoice_id:int}/finalise")
    async def finalise(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        row, finalised = await review.finalise_one(actor, invoice_id)
        if finalised and row["kind"] == "credit_note":
            flash(request, _("Credit note %(number)s is finalised.", number=row["number"]))
        elif finalised:
            flash(request, _("Invoice %(number)s is finalised.", number=row["number"]))
        else:
            flash(request, _("This invoice was final already: %(number)s.", number=row["number"]), "error")
        return redirect(request, f"{BASE}/{invoice_id}")
