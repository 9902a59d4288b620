"""The statement of account as a page: contact persons see their organisation's, vendor admins
any organisation's (`/admin/billing/statements`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from src.billing.payments import repository as ledger
from src.billing.services import reference, statement
from src.core.errors import InputError
from src.core.tenancy import Actor, require_vendor_admin
from src.core.vendor import vendor
from src.core.web import choose_organisation_first, page
from src.identity.guards import provide_contact_person, provide_vendor_admin
from src.tenants.services.organisations import get_organisation

TEMPLATE = "billing/statement.html"


async def _statement_page(
    request: Request[Any, Any, Any], actor: Actor, organisation_id: int, as_of: str, admin: bool
) -> Template:
    errors: dict[str, str] = {}
    try:
        found = await statement.statement(actor, organisation_id, as_of)
        status_code = 200
    except InputError as exc:
        errors = dict(exc.errors)
        found = await statement.statement(actor, organisation_id, None)
        status_code = 422
    organisation = await get_organisation(actor, organisation_id)
    for item in found["items"]:
        item["payment_reference_display"] = reference.display(item["payment_reference"])
    return page(
        request,
        TEMPLATE,
        {
            "statement": found,
            "organisation": organisation,
            "admin_view": admin,
            "vendor": vendor(),
            "values": {"as_of": as_of if errors else found["as_of"].isoformat()},
            "errors": errors,
            "later": found["as_of"] > found["today"],
        },
        status_code=status_code,
    )


class OrganisationStatement(Controller):
    path = "/organisation/statement"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_contact_person)}

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        as_of: Annotated[str, QueryParameter()] = "",
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await _statement_page(request, actor, actor.organisation_id, as_of, admin=False)


class StatementsAdmin(Controller):
    path = "/admin/billing/statements"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        require_vendor_admin(actor)
        organisations = await ledger.invoiced_organisations(actor)
        return page(request, "billing/admin_statements.html", {"organisations": organisations})

    @get("/{organisation_id:int}")
    async def statement(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        as_of: Annotated[str, QueryParameter()] = "",
    ) -> Template:
        return await _statement_page(request, actor, organisation_id, as_of, admin=True)


ROUTES: list[Any] = [OrganisationStatement, StatementsAdmin]
