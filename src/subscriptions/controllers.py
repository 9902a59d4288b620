"""The catalogue API, an organisation's subscriptions (API), and the vendor admin's pages to
add and end subscriptions (/admin/organisations/{id}/subscriptions)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from src.core.errors import InputError
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_vendor_admin
from src.subscriptions import admin_controllers, order_pages
from src.subscriptions.schemas import (
    CatalogueService,
    ChangeOut,
    NewChange,
    NewPriceChange,
    NewSubscription,
    OrderPreview,
    PriceChangeOut,
    SubscriptionOut,
)
from src.subscriptions.services import changes, ordering, pricing
from src.subscriptions.services import subscriptions as services
from src.tenants.services.organisations import get_organisation

Form = URLEncodedBody[dict[str, str]]


class CatalogueApi(Controller):
    path = "/api/v1/services"
    tags = ["catalogue"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="The service catalogue",
        description="Every service with its modules (rule MOD-1) and variants with prices in cents (SUB-1).",
    )
    async def list_services(self, actor: NamedDependency[Actor]) -> list[CatalogueService]:
        return [CatalogueService.from_row(s) for s in await services.catalogue()]


class SubscriptionsApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/subscriptions"
    tags = ["subscriptions"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="The organisation's subscriptions")
    async def list_subscriptions(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> list[SubscriptionOut]:
        return [
            SubscriptionOut.from_row(r) for r in await services.list_subscriptions(actor, organisation_id)
        ]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Order a subscription",
        description="A contact person of the organisation (its signed customer agreement needed: 409 "
        "otherwise, rule AG-1) or a vendor admin (also from a past day). Unknown service or variant, a "
        "bad quantity, a second subscription to the same variant or a place where the service is not "
        "available answer 422 naming the field. With `preview` nothing is stored and the answer (200) "
        "is what the order would be. The contact persons get the order's confirmation by mail.",
        responses={200: ResponseSpec(OrderPreview, description="The preview of the order")},
    )
    async def order(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], data: JSONBody[NewSubscription]
    ) -> Response[Any]:
        fields: dict[str, Any] = {
            "service": data.service,
            "variant": data.variant,
            "quantity": data.quantity,
            "start": data.start,
            "address": msgspec.structs.asdict(data.address) if data.address else None,
        }
        if data.preview:
            quote = await ordering.quote(actor, organisation_id, **fields)
            return Response(OrderPreview.from_quote(quote), status_code=HTTP_200_OK)
        row = await ordering.order(
            actor, organisation_id, expected_monthly_price_cents=data.expected_monthly_price_cents, **fields
        )
        return Response(SubscriptionOut.from_row(row), status_code=HTTP_201_CREATED)


class SubscriptionChangesApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/subscriptions/{subscription_id:int}/changes"
    tags = ["subscriptions"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="The changes of a subscription", description="Newest first, in every status.")
    async def list_changes(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], subscription_id: FromPath[int]
    ) -> list[ChangeOut]:
        rows = await changes.list_changes(actor, organisation_id, subscription_id)
        return [ChangeOut.from_row(r) for r in rows]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Change a subscription",
        description="Contact persons and vendor admins. An upgrade takes effect today (rule SUB-2); a "
        "downgrade or cancellation when the notice period ends (SUB-3); a move today, where the service "
        "is available (SUB-5). A downgrade that raises the monthly amount, or an upgrade that lowers it, "
        "answers 422 naming `kind`; a change of an ended subscription 409; a change while another waits "
        "409 unless `replace` is true. With `preview` nothing is stored (200).",
        responses={200: ResponseSpec(ChangeOut, description="The preview of the change")},
    )
    async def change(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        subscription_id: FromPath[int],
        data: JSONBody[NewChange],
    ) -> Response[Any]:
        fields: dict[str, Any] = {
            "kind": data.kind,
            "variant": data.variant,
            "quantity": data.quantity,
            "address": msgspec.structs.asdict(data.address) if data.address else None,
            "expected_monthly_price_cents": data.expected_monthly_price_cents,
        }
        if data.preview:
            plan = await changes.plan(actor, organisation_id, subscription_id, **fields)
            return Response(ChangeOut.from_plan(plan), status_code=HTTP_200_OK)
        row = await changes.change(actor, organisation_id, subscription_id, replace=data.replace, **fields)
        return Response(ChangeOut.from_row(row), status_code=HTTP_201_CREATED)

    @delete(
        "/{change_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw a scheduled change",
        description="Until its day; a change that took effect (or was withdrawn) answers 409.",
    )
    async def withdraw(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        subscription_id: FromPath[int],
        change_id: FromPath[int],
    ) -> None:
        await changes.withdraw(actor, organisation_id, subscription_id, change_id)


class PriceChangesApi(Controller):
    path = "/api/v1/price-changes"
    tags = ["catalogue"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="Price changes", description="Vendor admins only: every price change, latest first.")
    async def list_changes(self, actor: NamedDependency[Actor]) -> list[PriceChangeOut]:
        return [PriceChangeOut.from_row(r) for r in await pricing.list_changes(actor)]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Schedule a new monthly price for a variant",
        description="Vendor admins only (403 otherwise). The day must be at least four months after "
        "today (rule SUB-4): an earlier one answers 422 naming `effective_on` and the earliest day. "
        "The contact persons of every organisation subscribed to the variant are told by mail.",
    )
    async def schedule(self, actor: NamedDependency[Actor], data: JSONBody[NewPriceChange]) -> PriceChangeOut:
        require_vendor_admin(actor)
        variant = await pricing.variant_by_codes(data.service, data.variant)
        row = await pricing.schedule(actor, variant["id"], data.monthly_price_cents, data.effective_on)
        return PriceChangeOut.from_row(row, data.service, data.variant)


class SubscriptionsAdmin(Controller):
    path = "/admin/organisations/{organisation_id:int}/subscriptions"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        organisation_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        organisation = await get_organisation(actor, organisation_id)
        return page(
            request,
            "subscriptions/admin_subscriptions.html",
            {
                "organisation": organisation,
                "subscriptions": await services.list_subscriptions(actor, organisation_id),
                "catalogue": await services.catalogue(),
                "values": values
                or {"quantity": "1", "start": services.today_for(organisation["country"]).isoformat()},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> Template:
        return await self._page(request, actor, organisation_id)

    @post("/")
    async def add(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        values = {k: (data.get(k) or "").strip() for k in ("offer", "quantity", "start")}
        service, _sep, variant = values["offer"].partition("/")
        try:
            row = await ordering.order(
                actor,
                organisation_id,
                service=service,
                variant=variant,
                quantity=values["quantity"],
                start=values["start"],
            )
        except InputError as exc:
            errors = dict(exc.errors)
            for field in ("service", "variant"):
                if field in errors:
                    errors["offer"] = errors.pop(field)
            return await self._page(request, actor, organisation_id, values, errors, status_code=422)
        flash(request, _("The subscription to %(name)s was added.", name=row["variant_name"]))
        return redirect(request, f"/admin/organisations/{organisation_id}/subscriptions")

    @post("/{subscription_id:int}/end")
    async def end(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        subscription_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        try:
            row = await services.end_subscription(
                actor, organisation_id, subscription_id, data.get("ends_on")
            )
        except InputError as exc:
            flash(request, next(iter(exc.errors.values())), "error")
        else:
            flash(
                request,
                _(
                    "The subscription to %(name)s ends on %(date)s.",
                    name=row["variant_name"],
                    date=format_date(row["ends_on"]),
                ),
            )
        return redirect(request, f"/admin/organisations/{organisation_id}/subscriptions")


ROUTES: list[Any] = [
    CatalogueApi,
    SubscriptionsApi,
    SubscriptionChangesApi,
    PriceChangesApi,
    SubscriptionsAdmin,
    *order_pages.ROUTES,
    *admin_controllers.ROUTES,
]
