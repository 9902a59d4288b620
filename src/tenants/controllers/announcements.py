"""Announcements (rule MOD-9): vendor admins publish them (/admin/announcements); signed-in
users see them in the banners (src/tenants/controllers/banners.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from src.core.errors import InputError
from src.core.i18n import LOCALES, _, timezone_for
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin
from src.tenants.catalogue import offer
from src.tenants.services import announcements

Form = URLEncodedBody[dict[str, str]]
FIELDS = ("starts_on", "ends_on", "audience", "service_code", "country", *[f"text_{loc}" for loc in LOCALES])


def _today() -> dt.date:
    """Today for the vendor (an announcement's days are the vendor's calendar days)."""
    return dt.datetime.now(timezone_for(None)).date()


def _fields(values: dict[str, str]) -> dict[str, Any]:
    """The form's values as the announcement services take them."""
    return {
        "texts": {loc: values[f"text_{loc}"] for loc in LOCALES},
        **{f: values[f] for f in ("starts_on", "ends_on", "audience", "service_code", "country")},
    }


class AnnouncementsAdmin(Controller):
    path = "/admin/announcements"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        services = await offer().catalogue()
        return page(
            request,
            "tenants/admin_announcements.html",
            {
                "announcements": await announcements.list_all(actor),
                "services": services,
                "service_names": {s["code"]: s["name"] for s in services},
                "state_of": announcements.state_of,
                "today": _today(),
                "values": values or {"audience": "everyone"},
                "errors": errors or {},
                "locales": LOCALES,
            },
            status_code=status_code,
        )

    async def _edit_page(
        self,
        request: Request[Any, Any, Any],
        row: dict[str, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "tenants/admin_announcement.html",
            {
                "a": row,
                "state": announcements.state_of(row, _today()),
                "services": await offer().catalogue(),
                "values": values or {f: str(row[f] or "") for f in FIELDS},
                "errors": errors or {},
                "locales": LOCALES,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def publish(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {f: data.get(f) or "" for f in FIELDS}
        try:
            await announcements.publish(actor, **_fields(values))
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, 422)
        flash(request, _("The announcement is published."))
        return redirect(request, "/admin/announcements")

    @get("/{announcement_id:int}")
    async def edit(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], announcement_id: FromPath[int]
    ) -> Template:
        return await self._edit_page(request, await announcements.get(actor, announcement_id))

    @post("/{announcement_id:int}")
    async def change(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        announcement_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = {f: data.get(f) or "" for f in FIELDS}
        try:
            await announcements.update(actor, announcement_id, **_fields(values))
        except InputError as exc:
            row = await announcements.get(actor, announcement_id)
            return await self._edit_page(request, row, values, exc.errors, 422)
        flash(request, _("The announcement is changed."))
        return redirect(request, "/admin/announcements")

    @post("/{announcement_id:int}/withdraw")
    async def withdraw(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], announcement_id: FromPath[int]
    ) -> Response[Any]:
        await announcements.withdraw(actor, announcement_id)
        flash(request, _("The announcement is withdrawn: nobody sees it any more."))
        return redirect(request, "/admin/announcements")


ROUTES: list[Any] = [AnnouncementsAdmin]
