"""Payments of invoices (vendor admins) and an organisation's statement of account, in the API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from src.billing.payment_schemas import NewPayment, RecordedPayment, Statement
from src.billing.services import payments, statement
from src.core.tenancy import Actor
from src.identity.auth import provide_actor


class PaymentsApi(Controller):
    path = "/api/v1/invoices/{invoice_id:int}/payments"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Record a payment of an invoice",
        description="Vendor admins only (403 otherwise). `amount_cents` more than 0, `paid_on` "
        "(`YYYY-MM-DD`) not in the future, `reference` at most 140 characters: otherwise 422 naming the "
        "field, and nothing is stored. A draft or a credit note answers 422 naming `invoice_id`; an "
        "unknown invoice 404. Paid beyond what is open is kept as the invoice's credit balance. The "
        "answer holds the payment and the invoice's new `status` (`paid` once nothing is left open) "
        "and `open_cents`. Audited.",
    )
    async def record(
        self, actor: NamedDependency[Actor], invoice_id: FromPath[int], data: JSONBody[NewPayment]
    ) -> RecordedPayment:
        result = await payments.record(actor, invoice_id, data.amount_cents, data.paid_on, data.reference)
        return RecordedPayment.from_result(result)


class StatementApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/statement"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="The organisation's statement of account",
        description="Contact persons of the organisation and vendor admins. As of `as_of` (`YYYY-MM-DD`, "
        "default today; a day to come says what will be owed then): the open invoices with interest "
        "(2.5 % a month from the due date, pro rata per day) and collection costs (once in collection, "
        "day 42 after the due date: 15 %, at least EUR 750), the payments made by then, and the total "
        "due. Invoices paid by a third party are not on it. A bad `as_of` answers 422.",
    )
    async def statement(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        as_of: Annotated[str, QueryParameter(description="YYYY-MM-DD; default today")] = "",
    ) -> Statement:
        return Statement.from_result(await statement.statement(actor, organisation_id, as_of))


ROUTES: list[Any] = [PaymentsApi, StatementApi]
