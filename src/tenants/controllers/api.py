"""JSON API of the tenant domain under /api/v1 (bearer tokens, same rules as the pages)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from src.core.tenancy import Actor
from src.identity.auth import provide_actor
from src.tenants.schemas import NewOrganisation, Organisation, OrganisationChange, OrganisationList
from src.tenants.services import organisation_search, organisations


class OrganisationsApi(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="List organisations",
        description="Vendor admins only. Search `q` matches the name, KvK number, AGB code and "
        "organisationsnummer; 25 per page, sorted by `sort` (name, country, created; prefix `-` "
        "for descending).",
    )
    async def list_organisations(
        self,
        actor: NamedDependency[Actor],
        q: Annotated[str, QueryParameter(description="Search text")] = "",
        country: Annotated[str, QueryParameter(description='"NL" or "SE"')] = "",
        legal_form: Annotated[str, QueryParameter(description="Legal form code")] = "",
        status: Annotated[str, QueryParameter(description='"active" or "suspended"')] = "",
        sort: Annotated[str, QueryParameter(description="name, country or created; -name etc.")] = "name",
        page: Annotated[int, QueryParameter(ge=1, description="Page number, from 1")] = 1,
    ) -> OrganisationList:
        wanted = organisation_search.OrganisationQuery.parse(q, country, legal_form, status, sort, page)
        found = await organisation_search.list_organisations(actor, wanted)
        return OrganisationList(
            items=[Organisation.from_row(row) for row in found.items],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
            pages=found.pages,
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Register an organisation",
        description="Vendor admins only. Invalid or duplicate fields answer 422 naming the field; "
        "malformed JSON or wrong types answer 400.",
    )
    async def create_organisation(
        self, actor: NamedDependency[Actor], data: JSONBody[NewOrganisation]
    ) -> Organisation:
        row = await organisations.create_organisation(actor, _fields(data))
        return Organisation.from_row(row)

    @get(
        "/{organisation_id:int}",
        summary="Read an organisation",
        description="Vendor admins read any organisation; its own users read their organisation, "
        "with what invoices need (`vat_number`, `billing_email`: empty means the contact persons, "
        "`peppol_id`). Any other organisation answers 404.",
    )
    async def get_organisation(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Organisation:
        return Organisation.from_row(await organisations.get_organisation(actor, organisation_id))

    @patch(
        "/{organisation_id:int}",
        summary="Change an organisation",
        description="A partial update. Vendor admins change every field; `status` suspends (its "
        "people can no longer sign in, its data stay) or reactivates the organisation. A contact "
        "person of the organisation changes only what invoices need: `vat_number`, `billing_email` "
        "(empty: invoices go to the contact persons) and `peppol_id`; any other field answers 403, "
        "as does an end user. Another organisation answers 404; invalid fields 422 naming the "
        "field, and nothing changes.",
    )
    async def update_organisation(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: JSONBody[OrganisationChange],
    ) -> Organisation:
        row = await organisations.update_organisation(actor, organisation_id, data.changes())
        return Organisation.from_row(row)


def _fields(data: NewOrganisation) -> dict[str, object]:
    return {field: getattr(data, field) for field in data.__struct_fields__}


ROUTES: list[object] = [OrganisationsApi]
