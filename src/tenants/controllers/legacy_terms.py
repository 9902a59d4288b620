"""Ending legacy terms (rules AG-2, AG-3): vendor admins announce, correct and withdraw the end of
a service's older terms of use, on the page /admin/legacy-terms and through the JSON API
/api/v1/legacy-terms. The rules are src/tenants/services/legacy_terms.py's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from src.core.errors import Conflict, InputError
from src.core.i18n import _, format_date
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin
from src.tenants.catalogue import offer
from src.tenants.schemas import LegacyTermsEnd, LegacyTermsEndChange, NewLegacyTermsEnd
from src.tenants.services import legacy_terms
from src.tenants.services.compliance import _today

Form = URLEncodedBody[dict[str, str]]
DATES = ("announced_on", "ends_on")


class LegacyTermsApi(Controller):
    path = "/api/v1/legacy-terms"
    tags = ["legacy terms"]
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get(
        "/",
        summary="List the announced ends of legacy terms",
        description="Vendor admins only (403 otherwise). Every announcement, withdrawn ones too "
        "(history), latest deadline first.",
    )
    async def list_ends(self, actor: NamedDependency[Actor]) -> list[LegacyTermsEnd]:
        return [LegacyTermsEnd.from_row(row) for row in await legacy_terms.list_notices(actor)]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Announce the end of a service's legacy terms",
        description="Vendor admins only (rule AG-3). `ends_on` is at least six months after "
        "`announced_on`; `announced_on` may lie in the past (a letter sent earlier), the notice "
        "between the two dates still holds. Less notice answers 422 naming `ends_on`; an unknown "
        "service 422 naming `service`; a service that has an announcement in force (not withdrawn, "
        "deadline not passed) 409.",
    )
    async def announce(
        self, actor: NamedDependency[Actor], data: JSONBody[NewLegacyTermsEnd]
    ) -> LegacyTermsEnd:
        row = await legacy_terms.announce(
            actor, service_code=data.service, announced_on=data.announced_on, ends_on=data.ends_on
        )
        return LegacyTermsEnd.from_row(row)

    @get("/{notice_id:int}", summary="Read an announcement", description="Vendor admins only; unknown: 404.")
    async def read(self, actor: NamedDependency[Actor], notice_id: FromPath[int]) -> LegacyTermsEnd:
        return LegacyTermsEnd.from_row(await legacy_terms.get(actor, notice_id))

    @patch(
        "/{notice_id:int}",
        summary="Correct an announcement's dates",
        description="Vendor admins only. The six months' notice holds between the corrected dates "
        "(422 naming the field). A withdrawn announcement, or one whose deadline has come, answers "
        "409; unknown: 404. The organisations concerned are told of the correction by mail, once.",
    )
    async def correct(
        self, actor: NamedDependency[Actor], notice_id: FromPath[int], data: JSONBody[LegacyTermsEndChange]
    ) -> LegacyTermsEnd:
        given = {f: getattr(data, f) for f in DATES if isinstance(getattr(data, f), str)}
        return LegacyTermsEnd.from_row(await legacy_terms.correct(actor, notice_id, **given))

    @delete(
        "/{notice_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw an announcement",
        description="Vendor admins only. Before its deadline; from the deadline on, or when already "
        "withdrawn, 409; unknown: 404. The announcement stays listed with `withdrawn_at` and no "
        "longer counts. The organisations concerned are told of the withdrawal by mail, once.",
    )
    async def withdraw(self, actor: NamedDependency[Actor], notice_id: FromPath[int]) -> None:
        await legacy_terms.withdraw(actor, notice_id)


class LegacyTermsAdmin(Controller):
    """Vendor admins announce, correct and withdraw the end of a service's legacy terms."""

    path = "/admin/legacy-terms"
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
        today = _today()
        return page(
            request,
            "tenants/admin_legacy_terms.html",
            {
                "notices": await legacy_terms.list_notices(actor),
                "services": [s for s in await offer().catalogue() if s["requires_agreement"]],
                "values": values
                or {
                    "announced_on": today.isoformat(),
                    "ends_on": legacy_terms.earliest_end(today).isoformat(),
                },
                "errors": errors or {},
                "months": legacy_terms.NOTICE_MONTHS,
            },
            status_code=status_code,
        )

    async def _notice_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        notice_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        row = await legacy_terms.get(actor, notice_id)
        return page(
            request,
            "tenants/admin_legacy_terms_notice.html",
            {
                "n": row,
                "values": values or {f: row[f].isoformat() for f in DATES},
                "errors": errors or {},
                "months": legacy_terms.NOTICE_MONTHS,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def announce(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {k: (data.get(k) or "").strip() for k in ("service", *DATES)}
        try:
            row = await legacy_terms.announce(
                actor,
                service_code=values["service"],
                announced_on=values["announced_on"],
                ends_on=values["ends_on"],
            )
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, 422)
        except Conflict as exc:
            return await self._page(request, actor, values, {"service": exc.message}, 409)
        flash(request, _("Announced: the legacy terms end on %(date)s.", date=format_date(row["ends_on"])))
        return redirect(request, "/admin/legacy-terms")

    @get("/{notice_id:int}")
    async def show(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], notice_id: FromPath[int]
    ) -> Template:
        return await self._notice_page(request, actor, notice_id)

    @post("/{notice_id:int}")
    async def correct(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        notice_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = {k: (data.get(k) or "").strip() for k in DATES}
        try:
            row = await legacy_terms.correct(actor, notice_id, **values)
        except InputError as exc:
            return await self._notice_page(request, actor, notice_id, values, exc.errors, 422)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/legacy-terms/{notice_id}")
        flash(request, _("Corrected: the legacy terms end on %(date)s.", date=format_date(row["ends_on"])))
        return redirect(request, "/admin/legacy-terms")

    @post("/{notice_id:int}/withdraw")
    async def withdraw(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], notice_id: FromPath[int]
    ) -> Response[Any]:
        try:
            await legacy_terms.withdraw(actor, notice_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/legacy-terms/{notice_id}")
        flash(request, _("The announcement is withdrawn: the legacy terms do not end on that day."))
        return redirect(request, "/admin/legacy-terms")


ROUTES: list[Any] = [LegacyTermsApi, LegacyTermsAdmin]
