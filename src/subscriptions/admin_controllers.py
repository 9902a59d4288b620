"""The vendor admins' pages of the catalogue: the catalogue editor (/admin/catalogue), price
changes (/admin/price-changes), the changes of subscriptions still to take effect across every
organisation (/admin/subscription-changes) and the monthly recurring revenue (/admin/revenue)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from src.core import clock
from src.core.errors import InputError
from src.core.i18n import _, current_locale, format_date, ngettext
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.guards import provide_vendor_admin
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import catalogue_admin as editor
from src.subscriptions.services import pricing, revenue, terms
from src.subscriptions.services import subscriptions as services
from src.subscriptions.services.catalogue_history import history
from src.subscriptions.services.pending_changes import pending_changes

Form = URLEncodedBody[dict[str, str]]
LABELS = {
    "categories": editor.CATEGORIES,
    "units": editor.UNITS,
    "tax_categories": editor.TAX_CATEGORIES,
    "currencies": editor.CURRENCIES,
}
NEW_VARIANT = {
    "unit": "subscription",
    "currency": "EUR",
    "tax_category": "standard",
    "notice_months": "3",
    "upgrade_fee": "0.00",
    "downgrade_fee": "0.00",
    "move_fee": "0.00",
}
NEW_SERVICE = {
    "category": "managed_it",
    "requires_agreement": "on",
    "position": "0",
    "upgrade_any_time": "on",
    "downgrade_with_notice": "on",
}
SERVICE_FORM = ("code", "name_nl", "name_sv", "name_en", "category", *editor.SERVICE_FLAGS, "position")
VARIANT_FORM = (
    *(
        "code",
        "name_nl",
        "name_sv",
        "name_en",
        "unit",
        "currency",
        "tax_category",
        "notice_months",
        "position",
    ),
    *("monthly_price", "upgrade_fee", "downgrade_fee", "move_fee"),
)


def _values(data: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    return {f: (data.get(f) or "").strip() for f in fields if f in data}


def _prices_today(catalogue: list[dict[str, Any]], histories: dict[int, pricing.History]) -> None:
    today = clock.today()
    for service in catalogue:
        for v in service["variants"]:
            v["price_today"] = histories[int(v["id"])].on(today)


class CatalogueAdmin(Controller):
    path = "/admin/catalogue"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _index(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        catalogue = await services.catalogue(include_inactive=True)
        _prices_today(catalogue, await pricing.histories(v["id"] for s in catalogue for v in s["variants"]))
        last = max((int(s["position"]) for s in catalogue), default=-1)
        values = values or {**NEW_SERVICE, "position": str(last + 1)}
        context = {"catalogue": catalogue, "values": values, "errors": errors or {}, **LABELS}
        return page(request, "subscriptions/admin_catalogue.html", context, status_code=status_code)

    async def _service(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        service_id: int,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        variant_values: dict[str, str] | None = None,
        variant_errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        service = await editor.get_service(service_id)
        found = [s for s in await services.catalogue(include_inactive=True) if s["id"] == service_id]
        variants = found[0]["variants"] if found else []
        histories = await pricing.histories(v["id"] for v in variants)
        _prices_today([{"variants": variants}], histories)
        context = {
            "service": {**service, "name": localised_name(service, current_locale.get())},
            "variants": variants,
            "values": values or editor.service_values(service),
            "errors": errors or {},
            "variant_values": variant_values
            or {**NEW_VARIANT, "position": str(max((int(v["position"]) for v in variants), default=-1) + 1)},
            "variant_errors": variant_errors or {},
            "code_fixed": service["code"] in editor.RESERVED_CODES,
            "history": await history(actor, "service", service_id),
            **LABELS,
        }
        return page(request, "subscriptions/admin_service.html", context, status_code=status_code)

    async def _variant(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        variant_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        variant = await editor.get_variant(variant_id)
        service = await editor.get_service(variant["service"])
        locale = current_locale.get()
        price_today = (await pricing.histories([variant_id]))[variant_id].on(clock.today())
        context = {
            "variant": {**variant, "name": localised_name(variant, locale), "price_today": price_today},
            "service": {**service, "name": localised_name(service, locale)},
            "values": values or editor.variant_values(variant),
            "errors": errors or {},
            "price_editable": await editor.price_is_editable(actor, variant_id),
            "price_changes": [c for c in await pricing.list_changes(actor) if c["variant"] == variant_id],
            "today": clock.today(),
            "history": await history(actor, "service_variant", variant_id, variant["currency"]),
            **LABELS,
        }
        return page(request, "subscriptions/admin_variant.html", context, status_code=status_code)

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._index(request)

    @post("/")
    async def add_service(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = _values(data, SERVICE_FORM)
        try:
            row = await editor.add_service(actor, values)
        except InputError as exc:
            return await self._index(request, values, exc.errors, 422)
        flash(request, _("The service %(name)s was added.", name=localised_name(row, current_locale.get())))
        return redirect(request, f"/admin/catalogue/services/{row['id']}")

    @get("/services/{service_id:int}")
    async def service(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], service_id: FromPath[int]
    ) -> Template:
        return await self._service(request, actor, service_id)

    @post("/services/{service_id:int}")
    async def change_service(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        service_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = _values(data, SERVICE_FORM)
        try:
            await editor.change_service(actor, service_id, values)
        except InputError as exc:
            return await self._service(
                request, actor, service_id, values=values, errors=exc.errors, status_code=422
            )
        flash(request, _("The changes were saved."))
        return redirect(request, f"/admin/catalogue/services/{service_id}")

    @post("/services/{service_id:int}/active")
    async def service_active(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        service_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        active = data.get("active") == "yes"
        await editor.set_service_active(actor, service_id, active)
        flash(
            request, _("The service is offered again.") if active else _("The service is no longer offered.")
        )
        return redirect(request, f"/admin/catalogue/services/{service_id}")

    @post("/services/{service_id:int}/variants")
    async def add_variant(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        service_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = _values(data, VARIANT_FORM)
        try:
            row = await editor.add_variant(actor, service_id, values)
        except InputError as exc:
            return await self._service(
                request, actor, service_id, variant_values=values, variant_errors=exc.errors, status_code=422
            )
        flash(request, _("The variant %(name)s was added.", name=localised_name(row, current_locale.get())))
        return redirect(request, f"/admin/catalogue/variants/{row['id']}")

    @get("/variants/{variant_id:int}")
    async def variant(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], variant_id: FromPath[int]
    ) -> Template:
        return await self._variant(request, actor, variant_id)

    @post("/variants/{variant_id:int}")
    async def change_variant(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        variant_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = _values(data, VARIANT_FORM)
        try:
            await editor.change_variant(actor, variant_id, values)
        except InputError as exc:
            shown = {**editor.variant_values(await editor.get_variant(variant_id)), **values}
            return await self._variant(request, actor, variant_id, shown, exc.errors, 422)
        flash(request, _("The changes were saved."))
        return redirect(request, f"/admin/catalogue/variants/{variant_id}")

    @post("/variants/{variant_id:int}/active")
    async def variant_active(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        variant_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        active = data.get("active") == "yes"
        await editor.set_variant_active(actor, variant_id, active)
        flash(
            request, _("The variant is offered again.") if active else _("The variant is no longer offered.")
        )
        return redirect(request, f"/admin/catalogue/variants/{variant_id}")


class PriceChangesAdmin(Controller):
    path = "/admin/price-changes"
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
        catalogue = await services.catalogue(include_inactive=True)
        names = {v["id"]: (s["name"], v["name"]) for s in catalogue for v in s["variants"]}
        earliest = terms.earliest_price_change(clock.today())
        context = {
            "catalogue": catalogue,
            "names": names,
            "changes": await pricing.list_changes(actor),
            "today": clock.today(),
            "earliest": earliest,
            "values": values or {"effective_on": earliest.isoformat()},
            "errors": errors or {},
        }
        return page(request, "subscriptions/admin_price_changes.html", context, status_code=status_code)

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        variant: FromQuery[int | None] = None,
    ) -> Template:
        earliest = terms.earliest_price_change(clock.today())
        values = {"effective_on": earliest.isoformat(), "variant": str(variant or "")}
        return await self._page(request, actor, values)

    @post("/")
    async def schedule(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = _values(data, ("variant", "monthly_price", "effective_on"))
        errors: dict[str, str] = {}
        variant_id = (
            int(values["variant"])
            if values.get("variant", "").isascii() and values.get("variant", "").isdigit()
            else 0
        )
        known = {v["id"]: v for s in await services.catalogue(include_inactive=True) for v in s["variants"]}
        if variant_id not in known:
            errors["variant"] = _("Choose a variant of the catalogue.")
        try:
            cents = editor.parse_amount(values.get("monthly_price"), "monthly_price")
        except InputError as exc:
            errors.update(exc.errors)
        if not errors:
            try:
                row = await pricing.schedule(actor, variant_id, cents, values.get("effective_on"))
            except InputError as exc:
                errors = {
                    ("monthly_price" if k == "monthly_price_cents" else k): v for k, v in exc.errors.items()
                }
        if errors:
            return await self._page(request, actor, values, errors, 422)
        flash(
            request,
            ngettext(
                "The new price takes effect on %(date)s; %(num)d organisation was told.",
                "The new price takes effect on %(date)s; %(num)d organisations were told.",
                row["organisations_notified"],
                date=format_date(row["effective_on"]),
            ),
        )
        return redirect(request, "/admin/price-changes")


class SubscriptionChangesAdmin(Controller):
    path = "/admin/subscription-changes"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return page(
            request,
            "subscriptions/admin_subscription_changes.html",
            {"changes": await pending_changes(actor)},
        )


class RevenueAdmin(Controller):
    path = "/admin/revenue"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return page(request, "subscriptions/admin_revenue.html", await revenue.revenue(actor))


ROUTES: list[Any] = [CatalogueAdmin, PriceChangesAdmin, SubscriptionChangesAdmin, RevenueAdmin]
