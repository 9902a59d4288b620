"""Vendor admins' pages for organisations: list, register, read, edit, suspend, reactivate,
add contact persons. Every route here is for vendor admins only (403 for everyone else)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Template

from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, is_partial, page, redirect
from src.identity.guards import provide_vendor_admin
from src.tenants import legal_forms
from src.tenants.services import (
    contact_persons,
    organisation_input,
    organisation_search,
    organisations,
    security,
    users,
)
from src.tenants.services.organisation_search import OrganisationQuery

Form = URLEncodedBody[dict[str, str]]

BASE = "/admin/organisations"
TABLE = "tenants/admin_organisations_table.html"
USERS_TABLE = "tenants/_admin_organisation_users_table.html"


def _page_number(value: str) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _list_url(query: OrganisationQuery, **changes: Any) -> str:
    params = query.params(**changes)
    return f"{BASE}?{urlencode(params)}" if params else BASE


def _form_context(values: Mapping[str, Any], errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or {},
        "countries": [(code, legal_forms.country_label(code)) for code in legal_forms.COUNTRIES],
        "legal_form_groups": legal_forms.all_legal_forms(),
    }


def _organisation_form_values(data: Mapping[str, Any]) -> dict[str, str]:
    return {field: str(data.get(field) or "") for field in organisation_input.FIELDS}


class OrganisationsAdmin(Controller):
    path = BASE
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
        country: FromQuery[str] = "",
        legal_form: FromQuery[str] = "",
        status: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page_number: Annotated[str, QueryParameter(name="page")] = "",
    ) -> Template:
        query = OrganisationQuery.parse(q, country, legal_form, status, sort, page_number)
        found = await organisation_search.list_organisations(actor, query, summary=True)
        restoring_history = request.headers.get("hx-history-restore-request") == "true"
        response = page(
            request,
            "tenants/admin_organisations.html",
            {
                "query": query,
                "found": found,
                "list_url": lambda **changes: _list_url(query, **changes),
                "countries": [(code, legal_forms.country_label(code)) for code in legal_forms.COUNTRIES],
                "legal_form_groups": legal_forms.all_legal_forms(),
                "statuses": [("active", _("Active")), ("suspended", _("Suspended"))],
            },
            partial=None if restoring_history else TABLE,
        )
        response.headers["Vary"] = "HX-Request"
        return response

    @get("/new")
    async def new_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return page(
            request,
            "tenants/admin_organisation_form.html",
            {**_form_context({}), "organisation": None},
        )

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        try:
            row = await organisations.create_organisation(actor, data)
        except InputError as exc:
            return page(
                request,
                "tenants/admin_organisation_form.html",
                {**_form_context(_organisation_form_values(data), exc.errors), "organisation": None},
                status_code=422,
            )
        flash(request, _("%(name)s is registered.", name=row["name"]))
        return redirect(request, f"{BASE}/{row['id']}")

    @get("/{organisation_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Template:
        overview = await organisations.organisation_overview(actor, organisation_id)
        return page(request, "tenants/admin_organisation.html", overview)

    @get("/{organisation_id:int}/users")
    async def users_list(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page_number: Annotated[str, QueryParameter(name="page")] = "",
    ) -> Template:
        """The organisation's users, read-only, with a search and an active/inactive filter."""
        state = status if status in users.STATES else ""
        organisation, listing = await organisations.organisation_users(
            actor,
            organisation_id,
            query=q,
            state=state,
            page=_page_number(page_number),
            record_view=not is_partial(request),
        )
        base = f"{BASE}/{organisation_id}/users"
        params = {key: value for key, value in (("q", listing.query), ("status", state)) if value}
        return page(
            request,
            "tenants/admin_organisation_users.html",
            {
                "organisation": organisation,
                "listing": listing,
                "state": state,
                "base": base,
                "page_url": lambda number: f"{base}?{urlencode({**params, 'page': number})}",
                "states": [("active", _("Active")), ("inactive", _("Deactivated"))],
            },
            partial=USERS_TABLE,
        )

    @get("/{organisation_id:int}/edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Template:
        row = await organisations.get_organisation(actor, organisation_id)
        return page(
            request,
            "tenants/admin_organisation_form.html",
            {**_form_context(_organisation_form_values(row)), "organisation": row},
        )

    @post("/{organisation_id:int}/edit")
    async def update(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        row = await organisations.get_organisation(actor, organisation_id)
        changes = {field: data.get(field, "") for field in organisation_input.FIELDS}
        try:
            row = await organisations.update_organisation(actor, organisation_id, changes)
        except InputError as exc:
            return page(
                request,
                "tenants/admin_organisation_form.html",
                {**_form_context(_organisation_form_values(changes), exc.errors), "organisation": row},
                status_code=422,
            )
        flash(request, _("The changes to %(name)s are saved.", name=row["name"]))
        return redirect(request, f"{BASE}/{organisation_id}")

    @post("/{organisation_id:int}/suspend")
    async def suspend(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        try:
            row = await organisations.suspend_organisation(actor, organisation_id, data.get("reason", ""))
        except InputError as exc:
            flash(request, next(iter(exc.errors.values())), "error")
            return redirect(request, f"{BASE}/{organisation_id}")
        flash(
            request,
            _(
                "%(name)s is suspended: its people can no longer sign in. Its data are kept.",
                name=row["name"],
            ),
        )
        return redirect(request, f"{BASE}/{organisation_id}")

    @post("/{organisation_id:int}/reactivate")
    async def reactivate(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        try:
            row = await organisations.reactivate_organisation(actor, organisation_id, data.get("reason", ""))
        except InputError as exc:
            flash(request, next(iter(exc.errors.values())), "error")
            return redirect(request, f"{BASE}/{organisation_id}")
        flash(request, _("%(name)s is active again: its people can sign in.", name=row["name"]))
        return redirect(request, f"{BASE}/{organisation_id}")

    @post("/{organisation_id:int}/security")
    async def change_security(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        wanted = data.get("requires_security") == "yes"
        try:
            row = await security.set_requires_security(actor, organisation_id, wanted, data.get("reason", ""))
        except InputError as exc:
            flash(request, next(iter(exc.errors.values())), "error")
            return redirect(request, f"{BASE}/{organisation_id}")
        if wanted:
            flash(request, _("New orders of %(name)s now wait for a paid advance invoice.", name=row["name"]))
        else:
            flash(request, _("New orders of %(name)s no longer wait for security.", name=row["name"]))
        return redirect(request, f"{BASE}/{organisation_id}")

    @get("/{organisation_id:int}/contact-persons/new")
    async def contact_person_form(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Template:
        row = await organisations.get_organisation(actor, organisation_id)
        return page(
            request,
            "tenants/admin_contact_person_form.html",
            {"organisation": row, "values": {}, "errors": {}},
        )

    @post("/{organisation_id:int}/contact-persons/new")
    async def add_contact_person(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        row = await organisations.get_organisation(actor, organisation_id)
        try:
            membership = await contact_persons.add_contact_person(actor, organisation_id, data)
        except InputError as exc:
            values = {k: data.get(k, "") for k in ("name", "email", "personal_identity_number", "card_id")}
            return page(
                request,
                "tenants/admin_contact_person_form.html",
                {"organisation": row, "values": values, "errors": exc.errors},
                status_code=422,
            )
        flash(
            request,
            _(
                "%(person)s is a contact person of %(organisation)s; an invitation mail is on its way.",
                person=membership["name"],
                organisation=row["name"],
            ),
        )
        return redirect(request, f"{BASE}/{organisation_id}")


ROUTES: list[object] = [OrganisationsAdmin]
