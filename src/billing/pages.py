"""The organisation's invoices (contact persons) and the vendor admins' billing runs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from src.billing.at_risk_pages import AtRiskAdmin
from src.billing.interest_note_pages import InterestNotesAdmin
from src.billing.invoice_pages import InvoicesAdmin
from src.billing.revenue_pages import RevenueAdmin
from src.billing.review_pages import ReviewAdmin
from src.billing.services import (
    credits,
    direct_debit,
    disputes,
    documents,
    invoicing,
    online_payments,
    payments,
    reminders,
    runs,
)
from src.core import clock
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.guards import provide_contact_person, provide_vendor_admin

Form = URLEncodedBody[dict[str, str]]


async def _payable_online(actor: Actor, invoice_id: int) -> bool:
    """Whether the invoice page offers "Pay online": Stripe configured, something open, paid by
    the organisation, and the signed-in person one of its contact persons."""
    if not online_payments.enabled() or actor.organisation_id is None or not actor.is_contact_person:
        return False
    try:
        await online_payments.payable(actor, actor.organisation_id, invoice_id)
    except (Conflict, NotFound):
        return False
    return True


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
        return page(
            request,
            "billing/org_invoices.html",
            {"invoices": invoices, "documents_ready": ready, "direct_debit": direct_debit.offered()},
        )

    @get("/{invoice_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await self._detail(request, actor, invoice_id)

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        invoice_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        assert actor.organisation_id is not None
        ready = await documents.available(actor, actor.organisation_id, [invoice_id])
        return page(
            request,
            "billing/org_invoice.html",
            {
                "invoice": await payments.with_balance(actor, actor.organisation_id, invoice_id),
                "documents_ready": invoice_id in ready,
                "reminders": await reminders.of_invoice(actor, actor.organisation_id, invoice_id),
                "pay_online": await _payable_online(actor, invoice_id),
                "payment_failed": await online_payments.last_failure(
                    actor, actor.organisation_id, invoice_id
                ),
                "redirect_status": request.query_params.get("redirect_status", ""),
                "values": values or {},
                "errors": errors or {},
            },
            status_code=status_code,
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

    @post("/{invoice_id:int}/disputes")
    async def dispute(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        invoice_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        """A contact person's complaint about the invoice or one line (rule BIL-9)."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {"text": data.get("text") or "", "line_id": data.get("line_id") or ""}
        raw_line = values["line_id"].strip()
        line_id: Any = None
        if raw_line:
            line_id = int(raw_line) if raw_line.isdecimal() and len(raw_line) < 10 else -1
        try:
            await disputes.open_dispute(actor, actor.organisation_id, invoice_id, values["text"], line_id)
        except InputError as exc:
            return await self._detail(request, actor, invoice_id, values, dict(exc.errors), 422)
        except Conflict as exc:
            return await self._detail(request, actor, invoice_id, values, {"text": exc.message}, 409)
        flash(request, _("Your complaint is sent. The invoice's due date stays as it is."))
        return redirect(request, f"/organisation/invoices/{invoice_id}")


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
                "open_disputes": len(await disputes.open_disputes(actor)),
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


class CreditAndDisputesAdmin(Controller):
    """Vendor admins credit an invoice (whole or some lines) and resolve complaints."""

    path = "/admin/billing"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _credit_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        invoice_id: int,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "billing/admin_credit.html",
            {
                "invoice": await credits.creditable(actor, invoice_id),
                "values": values or {"reason": "", "lines": []},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/invoices/{invoice_id:int}/credit")
    async def credit_form(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Template:
        return await self._credit_page(request, actor, invoice_id)

    @post("/invoices/{invoice_id:int}/credit")
    async def credit(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        ticked = [str(x) for x in form.getall("lines")] if "lines" in form else []
        values = {"reason": str(form.get("reason") or ""), "lines": ticked}
        line_ids = [int(x) for x in ticked if x.isdecimal() and len(x) < 10]
        if not line_ids:
            return await self._credit_page(
                request, actor, invoice_id, values, {"lines": _("Choose the lines to credit.")}, 422
            )
        try:
            note = await credits.credit(actor, invoice_id, values["reason"], line_ids)
        except InputError as exc:
            return await self._credit_page(request, actor, invoice_id, values, dict(exc.errors), 422)
        except Conflict as exc:
            return await self._credit_page(request, actor, invoice_id, values, {"lines": exc.message}, 409)
        flash(request, _("Credit note %(number)s is made.", number=note["number"]))
        return redirect(request, f"/admin/billing/invoices/{invoice_id}/credit")

    async def _disputes_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "billing/admin_disputes.html",
            {
                "disputes": await disputes.open_disputes(actor),
                "values": values or {},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/disputes")
    async def disputes(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._disputes_page(request, actor)

    @post("/disputes/{dispute_id:int}/resolve")
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        dispute_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        outcome = data.get("outcome") or ""
        values = {"dispute": dispute_id, "reason": data.get("reason") or "", "outcome": outcome}
        try:
            row = await disputes.resolve(actor, dispute_id, outcome, values["reason"])
        except InputError as exc:
            return await self._disputes_page(request, actor, values, dict(exc.errors), 422)
        except Conflict as exc:
            return await self._disputes_page(request, actor, values, {"reason": exc.message}, 409)
        if row["status"] == "credited":
            message = _(
                "The complaint about invoice %(number)s is resolved with credit note %(credit_note)s.",
                number=row["invoice_number"],
                credit_note=row["credit_note_number"],
            )
        else:
            message = _("The complaint about invoice %(number)s is rejected.", number=row["invoice_number"])
        flash(request, message)
        return redirect(request, "/admin/billing/disputes")


ROUTES: list[Any] = [
    OrganisationInvoices,
    BillingAdmin,
    CreditAndDisputesAdmin,
    ReviewAdmin,
    RevenueAdmin,
    InvoicesAdmin,
    AtRiskAdmin,
    InterestNotesAdmin,
]
