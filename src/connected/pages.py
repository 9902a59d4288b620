"""The vendor admins' page of service clients: list, register (the token shown once) and revoke."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from src.connected import services
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin
from src.tenants.catalogue import offer

Form = URLEncodedBody[dict[str, str]]
FIELDS = ("service", "name", "webhook_url")


class ServiceClientsAdmin(Controller):
    path = "/admin/service-clients"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        created: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        catalogue = await offer().catalogue()
        names = {s["code"]: s["name"] for s in catalogue}
        clients = [
            {**c, "service_name": names.get(c["service_code"], c["service_code"])}
            for c in await services.list_clients(actor)
        ]
        return page(
            request,
            "connected/admin_service_clients.html",
            {
                "clients": clients,
                "services": catalogue,
                "values": values or {},
                "errors": errors or {},
                "created": created,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def create(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Template:
        values = {f: (data.get(f) or "").strip() for f in FIELDS}
        try:
            row, secret = await services.create_client(
                actor, values["service"], values["name"], values["webhook_url"]
            )
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, status_code=422)
        # The token is shown on this answer only: it is kept nowhere but as its digest.
        return await self._page(request, actor, created={**row, "token": secret}, status_code=201)

    @post("/{client_id:int}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], client_id: FromPath[int]
    ) -> Response[Any]:
        row = await services.revoke_client(actor, client_id)
        flash(
            request,
            _("The token of %(name)s is revoked; the service can no longer use it.", name=row["name"]),
        )
        return redirect(request, "/admin/service-clients")


ROUTES: list[Any] = [ServiceClientsAdmin]
