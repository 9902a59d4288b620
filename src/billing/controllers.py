"""Billing runs (vendor admins) and an organisation's invoices, in the API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from src.billing import pages
from src.billing.schemas import BillingRunOut, InvoiceOut, NewBillingRun
from src.billing.services import documents, invoicing, runs
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
        return [InvoiceOut.from_row(r) for r in await invoicing.list_invoices(actor, organisation_id)]

    @get("/{invoice_id:int}", summary="An invoice or credit note")
    async def get_invoice(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], invoice_id: FromPath[int]
    ) -> InvoiceOut:
        return InvoiceOut.from_row(await invoicing.get_invoice(actor, organisation_id, invoice_id))

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


async def _document(actor: Actor, organisation_id: int, invoice_id: int, kind: str) -> Response[bytes]:
    filename, media_type, content = await documents.download(actor, organisation_id, invoice_id, kind)
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


ROUTES: list[Any] = [BillingRunsApi, InvoicesApi, *pages.ROUTES]
