"""Pages for the people of an organisation: its home and its users (contact persons)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Template

from src.core.errors import Conflict, InputError
from src.core.i18n import _, current_locale
from src.core.tenancy import CONTACT_PERSON, END_USER, Actor
from src.core.web import choose_organisation_first, flash, is_partial, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_contact_person
from src.tenants.controllers.rights import confirm_step
from src.tenants.legal_forms import country_label, legal_form_label
from src.tenants.services import invitations, organisations, service_doors, user_changes, users
from src.tenants.services.organisation_input import BILLING_FIELDS
from src.tenants.services.rights import rights_summary

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

USER_FIELDS = ("name", "email", "role", "personal_identity_number", "card_id")


def identifier_labels(country: str) -> Mapping[str, str]:
    """The names of the identifiers people sign in with (they differ per country), in the
    request's language, translated once per language and country. A plain dict shared by
    every request: read it, never change it."""
    return _labels_in(current_locale.get(), country)


@functools.cache
def _labels_in(locale: str, country: str) -> Mapping[str, str]:
    token = current_locale.set(locale)
    try:
        if country == "SE":
            return {
                "pin": _("Personnummer"),
                "pin_short": _("Personnummer"),
                "card": _("HSA-id (SITHS card)"),
                "card_short": _("HSA-id"),
            }
        return {
            "pin": _("BSN (citizen service number)"),
            "pin_short": _("BSN"),
            "card": _("UZI number (UZI card)"),
            "card_short": _("UZI"),
        }
    finally:
        current_locale.reset(token)


class OrganisationPages(Controller):
    path = "/organisation"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def home(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        organisation = await organisations.get_organisation(actor, actor.organisation_id)
        registration = await users.my_registration(actor)
        contact_persons = (
            await users.active_contact_persons(actor, actor.organisation_id)
            if actor.is_contact_person
            else None
        )
        return page(
            request,
            "tenants/org_home.html",
            {
                "organisation": organisation,
                "registration": registration,
                "country_label": country_label(organisation["country"]),
                "legal_form_label": legal_form_label(organisation["legal_form"]),
                "contact_persons": contact_persons,
                "doors": await service_doors.doors_of(actor, actor.organisation_id),
            },
        )

    @get("/billing", dependencies={"actor": Provide(provide_contact_person)})
    async def billing_form(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        """The contact persons keep what invoices need up to date: VAT number, billing e-mail,
        Peppol ID."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        organisation = await organisations.get_organisation(actor, actor.organisation_id)
        values = {field: organisation.get(field) or "" for field in BILLING_FIELDS}
        return self._billing_page(request, organisation, values, {})

    @post("/billing", dependencies={"actor": Provide(provide_contact_person)})
    async def save_billing(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {field: (data.get(field) or "").strip() for field in BILLING_FIELDS}
        try:
            await organisations.update_billing_details(actor, actor.organisation_id, values)
        except InputError as exc:
            organisation = await organisations.get_organisation(actor, actor.organisation_id)
            return self._billing_page(request, organisation, values, exc.errors, status_code=422)
        flash(request, _("The invoicing details are saved."))
        return redirect(request, "/organisation")

    def _billing_page(
        self,
        request: Request[Any, Any, Any],
        organisation: Mapping[str, Any],
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "tenants/org_billing.html",
            {"organisation": organisation, "values": values, "errors": errors},
            status_code=status_code,
        )

    @get("/users")
    async def users_page(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        listing = await users.list_users(actor, actor.organisation_id, query=q, page=page_number)
        return page(
            request,
            "tenants/org_users.html",
            {
                "organisation": {"name": actor.organisation_name, "country": actor.organisation_country},
                "listing": listing,
                "labels": identifier_labels(actor.organisation_country),
            },
            partial="tenants/_org_users_table.html",
        )

    @get("/users/new", dependencies={"actor": Provide(provide_contact_person)})
    async def new_user_form(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await self._user_form(request, actor, {"role": END_USER}, {})

    @post("/users/new")
    async def add_user(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {field: (data.get(field) or "").strip() for field in USER_FIELDS}
        try:
            row = await user_changes.add_user(
                actor,
                actor.organisation_id,
                name=values["name"],
                email=values["email"],
                role=values["role"] or END_USER,
                personal_identity_number=values["personal_identity_number"],
                card_id=values["card_id"],
            )
        except InputError as exc:
            return await self._user_form(request, actor, values, exc.errors, status_code=422)
        flash(
            request,
            _(
                "%(name)s was invited; an invitation mail is on its way to %(email)s. "
                "They become a user when they accept the invitation after signing in.",
                name=row["name"],
                email=row["email"],
            ),
        )
        return redirect(request, "/organisation/users")

    async def _user_form(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        assert actor.organisation_id is not None
        organisation = await organisations.get_organisation(actor, actor.organisation_id)
        return page(
            request,
            "tenants/org_user_new.html",
            {
                "organisation": organisation,
                "values": values,
                "errors": errors,
                "labels": identifier_labels(organisation["country"]),
                "roles": [(END_USER, _("End user")), (CONTACT_PERSON, _("Contact person"))],
            },
            status_code=status_code,
        )

    @get("/users/{user_id:int}")
    async def user_page(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await self._user_page(request, actor, user_id)

    @post("/users/{user_id:int}")
    async def save_user(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        user_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        """A contact person corrects a user's name and e-mail, checked as when adding a user."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {field: (data.get(field) or "").strip() for field in ("name", "email")}
        try:
            await user_changes.update_user(
                actor, actor.organisation_id, user_id, name=values["name"], email=values["email"]
            )
        except InputError as exc:
            return await self._user_page(request, actor, user_id, values, exc.errors, status_code=422)
        flash(request, _("The change was saved."))
        return redirect(request, f"/organisation/users/{user_id}")

    async def _user_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        user_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:

        assert actor.organisation_id is not None
        user = await users.get_user(actor, actor.organisation_id, user_id)
        return page(
            request,
            "tenants/org_user.html",
            {
                "u": user,
                "values": values or {"name": user["name"], "email": user["email"]},
                "errors": errors or {},
                "rights": await rights_summary(actor, actor.organisation_id, user_id),
                "labels": identifier_labels(actor.organisation_country),
            },
            status_code=status_code,
        )

    @get("/users/{user_id:int}/deactivate")
    async def confirm_deactivation(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        """What deactivating does, before it is done; or why it cannot be done."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        user = await users.get_user(actor, actor.organisation_id, user_id)
        if user["status"] != users.ACTIVE:
            return redirect(request, f"/organisation/users/{user_id}")
        return page(
            request,
            "tenants/org_user_deactivate.html",
            {
                "u": user,
                "refusal": await users.deactivation_refusal(actor, actor.organisation_id, user),
                "yourself": user["id"] == actor.membership_id,
            },
        )

    async def _row_action(
        self, request: Request[Any, Any, Any], actor: Actor, user_id: int, change: dict[str, Any]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        error = ""
        status_code = 200
        try:
            row = await user_changes.update_user(actor, actor.organisation_id, user_id, **change)
        except Conflict as exc:
            if getattr(exc, "confirmation", ""):  # ask for an explicit confirmation (rule MOD-2)
                return await confirm_step(request, actor, user_id, exc, request.url.path)
            error = exc.message
            status_code = 409
            row = await users.get_user(actor, actor.organisation_id, user_id)
        if not error and user_id == actor.membership_id and not (row["active"] and row["is_contact_person"]):
            # You stepped down or deactivated yourself: this page is no longer yours.
            if row["active"]:
                flash(request, _("You are no longer a contact person of this organisation."))
            return redirect(request, "/organisation" if row["active"] else "/")
        if not is_partial(request):
            flash(request, error or _("The change was saved."), "error" if error else "success")
            return redirect(request, "/organisation/users")
        organisation = await organisations.get_organisation(actor, actor.organisation_id)
        return page(
            request,
            "tenants/_org_user_rows.html",
            {
                "rows": [row],
                "error": error,
                "saved": not error,
                "labels": identifier_labels(organisation["country"]),
            },
            status_code=status_code,
        )

    @post("/users/{user_id:int}/deactivate")
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        user_id: FromPath[int],
    ) -> Response[Any]:
        # what the person confirmed (e.g. "last_signer", rule MOD-2) goes to the service
        form = await request.form()
        confirmations = frozenset(c for c in str(form.get("confirm") or "").split(",") if c)
        return await self._row_action(
            request, actor, user_id, {"active": False, "confirmations": confirmations}
        )

    @post("/users/{user_id:int}/withdraw")
    async def withdraw_invitation(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            row = await invitations.withdraw(actor, actor.organisation_id, user_id)
        except Conflict as exc:  # accepted in the meantime
            flash(request, exc.message, "error")
            return redirect(request, "/organisation/users")
        message = _("The invitation of %(name)s was withdrawn.", name=row["name"])
        if is_partial(request):  # the row goes; the message takes its place
            return page(request, "tenants/_org_user_withdrawn.html", {"message": message})
        flash(request, message)
        return redirect(request, "/organisation/users")

    @post("/users/{user_id:int}/reactivate")
    async def reactivate(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        return await self._row_action(request, actor, user_id, {"active": True})

    @post("/users/{user_id:int}/make-contact-person")
    async def make_contact_person(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        return await self._row_action(request, actor, user_id, {"role": CONTACT_PERSON})

    @post("/users/{user_id:int}/remove-contact-person")
    async def remove_contact_person(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]
    ) -> Response[Any]:
        return await self._row_action(request, actor, user_id, {"role": END_USER})


ROUTES = [OrganisationPages]
