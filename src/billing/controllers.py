"""Billing runs (vendor admins) and an organisation's invoices, in the API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from src.billing import bank_pages, online_controllers, overdue_pages, pages, payment_controllers
from src.billing.schemas import (
    BillingRunOut,
    DisputeOut,
    DisputeResolution,
    InvoiceOut,
    NewBillingRun,
    NewCreditNote,
    NewDispute,
)
from src.billing.services import credits, disputes, documents, invoicing, payments, runs
from src.core.tenancy import Actor
from src.identity.auth import provide_actor


class BillingRunsApi(Controller):
    path = "/api/v1/billing-runs"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        summary="Start the billing run for a month",
        description="Vendor admins only (403 otherwise). The month must have ended (422 naming `period`); "
        "while its run is going, another answers 409. The workers invoice the organisations in batches; "
        "follow the progress with GET.",
    )
    async def start(self, actor: NamedDependency[Actor], data: JSONBody[NewBillingRun]) -> BillingRunOut:
        run = await runs.start(actor, data.period)
        return BillingRunOut.from_row(await runs.progress(actor, run["id"]))

    @post(
        "/{run_id:int}/retry",
        status_code=HTTP_202_ACCEPTED,
        summary="Start a failed billing run's failed batches again",
        description="Vendor admins only. A run whose batch the workers gave up on is `failed`; this hands "
        "those batches to the workers again (what was invoiced stays, nothing is invoiced twice). A run "
        "that has not failed answers 409.",
    )
    async def retry(self, actor: NamedDependency[Actor], run_id: FromPath[int]) -> BillingRunOut:
        return BillingRunOut.from_row(await runs.retry(actor, run_id))

    @get("/{run_id:int}", summary="A billing run's progress")
    async def progress(self, actor: NamedDependency[Actor], run_id: FromPath[int]) -> BillingRunOut:
        return BillingRunOut.from_row(await runs.progress(actor, run_id))


class InvoicesApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/invoices"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="The organisation's invoices and credit notes", description="Newest first, with lines.")
    async def list_invoices(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> list[InvoiceOut]:
        rows = await invoicing.list_invoices(actor, organisation_id)
        return [InvoiceOut.from_row(r) for r in await payments.annotate(actor, organisation_id, rows)]

    @get("/{invoice_id:int}", summary="An invoice or credit note")
    async def get_invoice(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], invoice_id: FromPath[int]
    ) -> InvoiceOut:
        row = await invoicing.get_invoice(actor, organisation_id, invoice_id)
        [annotated] = await payments.annotate(actor, organisation_id, [row])
        return InvoiceOut.from_row(annotated)

    @get(
        "/{invoice_id:int}/pdf",
        summary="The PDF of an invoice or credit note",
        description="Contact persons of the organisation and vendor admins. The document as it was sent, "
        "with a file name such as `invoice-2027-000001.pdf`. The workers make it shortly after the invoice "
        "is finalised; until then the answer is 409 (it is being prepared). Another organisation's "
        "invoice answers 404.",
        media_type="application/pdf",
        responses={409: ResponseSpec(data_container=None, description="The documents are being prepared.")},
    )
    async def pdf(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], invoice_id: FromPath[int]
    ) -> Response[bytes]:
        return await _document(actor, organisation_id, invoice_id, "pdf")

    @get(
        "/{invoice_id:int}/ubl",
        summary="The e-invoice (UBL 2.1) of an invoice or credit note",
        description="As the PDF, in UBL 2.1 with the PDF embedded, with a file name such as "
        "`invoice-2027-000001.xml`. 409 while it is being prepared; another organisation's invoice: 404.",
        media_type="application/xml",
        responses={409: ResponseSpec(data_container=None, description="The documents are being prepared.")},
    )
    async def ubl(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], invoice_id: FromPath[int]
    ) -> Response[bytes]:
        return await _document(actor, organisation_id, invoice_id, "ubl")

    @post(
        "/{invoice_id:int}/disputes",
        status_code=HTTP_201_CREATED,
        summary="Dispute an invoice or one of its lines",
        description="Contact persons, within 10 days of the invoice's date (`issued_on`), day 10 included "
        "(rule BIL-9); later answers 409 naming the last day. `text` is required (422); `line_id` a line of "
        "this invoice (422 otherwise) or none for the whole invoice. Another organisation's invoice answers "
        "404. A dispute does not move the due date (BIL-8). The vendor admins are mailed.",
    )
    async def dispute(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        invoice_id: FromPath[int],
        data: JSONBody[NewDispute],
    ) -> DisputeOut:
        row = await disputes.open_dispute(actor, organisation_id, invoice_id, data.text, data.line_id)
        return DisputeOut.from_row(row)


async def _document(actor: Actor, organisation_id: int, invoice_id: int, kind: str) -> Response[bytes]:
    filename, media_type, content = await documents.download(actor, organisation_id, invoice_id, kind)
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


class CreditNotesApi(Controller):
    path = "/api/v1/invoices/{invoice_id:int}/credit-notes"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Credit a final invoice, whole or some of its lines",
        description='Vendor admins only. `reason` is required (422). `lines` (`[{"line_id": 1}]`) chooses '
        "lines; none or an empty list credits every line not credited yet. A line is credited once (409 "
        "naming the credit note that has it); a draft answers 409; a line of another invoice 422. The credit "
        "note is finalised at once, numbered from its own series (`C2027-000001`); its amounts are positive, "
        "the money back to the customer.",
    )
    async def create(
        self, actor: NamedDependency[Actor], invoice_id: FromPath[int], data: JSONBody[NewCreditNote]
    ) -> InvoiceOut:
        lines = [x.line_id for x in data.lines or []]
        return InvoiceOut.from_row(await credits.credit(actor, invoice_id, data.reason, lines or None))


class DisputesApi(Controller):
    path = "/api/v1/invoice-disputes"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="Open disputes of every organisation", description="Vendor admins only; oldest first.")
    async def open_disputes(self, actor: NamedDependency[Actor]) -> list[DisputeOut]:
        return [DisputeOut.from_row(r) for r in await disputes.open_disputes(actor)]

    @post(
        "/{dispute_id:int}/resolution",
        status_code=HTTP_201_CREATED,
        summary="Resolve a dispute with a credit note or a rejection",
        description="Vendor admins only, once (409 after). The organisation's contact persons are mailed.",
    )
    async def resolve(
        self, actor: NamedDependency[Actor], dispute_id: FromPath[int], data: JSONBody[DisputeResolution]
    ) -> DisputeOut:
        lines = [x.line_id for x in data.lines or []]
        return DisputeOut.from_row(
            await disputes.resolve(actor, dispute_id, data.outcome, data.reason, lines)
        )


ROUTES: list[Any] = [
    BillingRunsApi,
    InvoicesApi,
    CreditNotesApi,
    DisputesApi,
    *online_controllers.ROUTES,
    *payment_controllers.ROUTES,
    *bank_pages.ROUTES,
    *pages.ROUTES,
    *overdue_pages.ROUTES,
]
