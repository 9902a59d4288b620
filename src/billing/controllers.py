"""Billing runs (vendor admins) and an organisation's invoices, in the API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from src.billing import pages
from src.billing.schemas import BillingRunOut, InvoiceOut, NewBillingRun
from src.billing.services import invoicing, runs
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


ROUTES: list[Any] = [BillingRunsApi, InvoicesApi, *pages.ROUTES]
