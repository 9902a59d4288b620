"""Requests for new users (rule MOD-8): contact persons ask (/organisation/user-requests),
vendor admins approve or reject (/admin/user-requests)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from src.core.errors import Conflict, InputError
from src.core.i18n import _
from src.core.ids import parse_id
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_contact_person, provide_vendor_admin
from src.tenants.controllers.organisation import identifier_labels
from src.tenants.services import requests, rights

FIELDS = ("name", "email", "personal_identity_number", "card_id")


def _ids(values: list[str]) -> list[int]:
    return [found for value in values if (found := parse_id(value)) is not None]


class UserRequestPages(Controller):
    path = "/organisation/user-requests"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        assert actor.organisation_id is not None
        return page(
            request,
            "tenants/user_requests.html",
            {
                "requests": await requests.list_requests(actor, actor.organisation_id),
                "modules": await rights.available_modules(actor.organisation_id),
                "values": values or {"modules": [], "signing": []},
                "errors": errors or {},
                "labels": identifier_labels(actor.organisation_country),
            },
            status_code=status_code,
        )

    @get("/", dependencies={"actor": Provide(provide_contact_person)})
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(
                request, "/admin/user-requests" if actor.is_vendor_admin else "/choose-organisation"
            )
        return await self._page(request, actor)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(request, "/")
        form = await request.form()
        values: dict[str, Any] = {f: str(form.get(f) or "").strip() for f in FIELDS}
        values["modules"] = _ids(form.getall("modules", []))
        values["signing"] = _ids(form.getall("signing", []))
        try:
            row = await requests.create_request(
                actor,
                actor.organisation_id,
                name=values["name"],
                email=values["email"],
                personal_identity_number=values["personal_identity_number"],
                card_id=values["card_id"],
                module_ids=values["modules"],
                signing_module_ids=values["signing"],
            )
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, 422)
        flash(request, _("The request for %(name)s was sent to the service desk.", name=row["name"]))
        return redirect(request, "/organisation/user-requests")


class UserRequestAdmin(Controller):
    path = "/admin/user-requests"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return page(
            request, "tenants/admin_user_requests.html", {"requests": await requests.pending_requests(actor)}
        )

    @post("/{request_id:int}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        try:
            user = await requests.approve(actor, request_id)
        except InputError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except Conflict as exc:
            flash(request, exc.message, "error")
        else:
            flash(request, _("%(name)s was added with the requested rights and invited.", name=user["name"]))
        return redirect(request, "/admin/user-requests")

    @post("/{request_id:int}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            await requests.reject(actor, request_id, str(form.get("reason") or ""))
        except InputError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except Conflict as exc:
            flash(request, exc.message, "error")
        else:
            flash(request, _("The request was rejected."))
        return redirect(request, "/admin/user-requests")


ROUTES: list[Any] = [UserRequestPages, UserRequestAdmin]
