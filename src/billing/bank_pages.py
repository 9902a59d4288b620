"""Bank statements (vendor admins): import a camt.053 file, in the API and on a page, and match
the payments the portal could not match by hand."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, URLEncodedBody
from litestar.status_codes import HTTP_201_CREATED

from src.billing.services import bank_statements, camt
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, ngettext
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import UnsupportedBody, flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_vendor_admin

MAX_BODY = camt.MAX_BYTES + 64 * 1024
XML_TYPES = ("application/xml", "text/xml")


class ImportedStatement(msgspec.Struct):
    """A statement imported: how many of its payments were matched to invoices (and recorded) and
    how many wait to be matched by hand; `already_imported` when the file was imported before
    (nothing changed)."""

    id: int
    matched: int
    unmatched: int
    already_imported: bool


class BankStatementsApi(Controller):
    path = "/api/v1/bank-statements"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_BODY,
        responses={
            415: ResponseSpec(
                data_container=None,
                description="The body is not XML: send it with `Content-Type: application/xml`.",
            )
        },
        summary="Import a bank statement (camt.053)",
        description="Vendor admins only (403 otherwise). The body is the ISO 20022 camt.053 XML as the bank "
        "exports it (versions .02 to .13), at most 5 MB. Each booked credit transfer is matched to the final "
        "invoice whose RF payment reference it carries (or whose number is in its text) and recorded as a "
        "payment; the others wait on the bank statements page. Another Content-Type than "
        "application/xml answers 415. The same statement again: "
        "`already_imported`, nothing changes. A file that is not a statement: 422 naming `statement`.",
    )
    async def create(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> ImportedStatement:
        require_vendor_admin(actor)
        if request.content_type[0] not in XML_TYPES:
            raise UnsupportedBody(_("Send the bank statement as XML, with Content-Type: application/xml."))
        result = await bank_statements.import_statement(actor, await request.body())
        return ImportedStatement(
            id=int(result["id"]),
            matched=result["matched"],
            unmatched=result["unmatched"],
            already_imported=result["already_imported"],
        )


class BankStatementsAdmin(Controller):
    path = "/admin/billing/bank-statements"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        return page(
            request,
            "billing/admin_bank_statements.html",
            {**await bank_statements.overview(actor), "errors": errors or {}},
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        return await self._page(request, actor)

    @post("/", request_max_body_size=MAX_BODY)
    async def upload(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        require_vendor_admin(actor)
        form = await request.form()
        upload = form.get("statement")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(request, actor, {"statement": _("Choose the bank statement file.")}, 422)
        try:
            result = await bank_statements.import_statement(actor, await upload.read(camt.MAX_BYTES + 1))
        except InputError as exc:
            return await self._page(request, actor, exc.errors, 422)
        if result["already_imported"]:
            flash(request, _("This statement was imported before; nothing changed."), "info")
        else:
            flash(
                request,
                ngettext(
                    "%(num)d payment matched to its invoice;",
                    "%(num)d payments matched to their invoices;",
                    result["matched"],
                )
                + " "
                + ngettext("%(num)d to match by hand.", "%(num)d to match by hand.", result["unmatched"]),
                "success",
            )
        return redirect(request, "/admin/billing/bank-statements")

    @post("/lines/{line_id:int}/match")
    async def match(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        line_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        try:
            line = await bank_statements.match_by_hand(actor, line_id, data.get("invoice_number"))
        except (InputError, Conflict, NotFound) as exc:
            message = "; ".join(exc.errors.values()) if isinstance(exc, InputError) else exc.message
            flash(request, message or _("This payment could not be matched."), "error")
        else:
            flash(
                request,
                _("The payment is recorded on invoice %(number)s.", number=line["invoice_number"]),
                "success",
            )
        return redirect(request, "/admin/billing/bank-statements")

    @post("/lines/{line_id:int}/set-aside")
    async def set_aside(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        line_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        try:
            await bank_statements.set_aside(actor, line_id, data.get("reason"))
        except (InputError, Conflict, NotFound) as exc:
            message = "; ".join(exc.errors.values()) if isinstance(exc, InputError) else exc.message
            flash(request, message or _("This payment could not be set aside."), "error")
        else:
            flash(request, _("The payment is set aside."), "success")
        return redirect(request, "/admin/billing/bank-statements")


ROUTES: list[Any] = [BankStatementsApi, BankStatementsAdmin]
