"""The catalogue API, an organisation's subscriptions (API), and the vendor admin's pages to
add and end subscriptions (/admin/organisations/{id}/subscriptions)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED

from src.core.errors import InputError
from src.core.i18n import _, format_date
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_vendor_admin
from src.subscriptions import admin_controllers
from src.subscriptions.schemas import (
    CatalogueService,
    NewPriceChange,
    NewSubscription,
    PriceChangeOut,
    SubscriptionOut,
)
from src.subscriptions.services import pricing
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
        summary="Subscribe the organisation to a service",
        description="Vendor admins only (403 otherwise). Unknown service or variant, a bad quantity or "
        "a second subscription to the same variant answer 422 naming the field.",
    )
    async def add_subscription(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], data: JSONBody[NewSubscription]
    ) -> SubscriptionOut:
        row = await services.add_subscription(
            actor,
            organisation_id,
            service=data.service,
            variant=data.variant,
            quantity=data.quantity,
            start=data.start,
        )
        return SubscriptionOut.from_row(row)


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
            row = await services.add_subscription(
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


class OrganisationSubscriptions(Controller):
    """The organisation's own subscriptions; where contact persons order (rule AG-8)."""

    path = "/organisation/subscriptions"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return page(
            request,
            "subscriptions/org_subscriptions.html",
            {
                "organisation": await get_organisation(actor, actor.organisation_id),
                "subscriptions": await services.list_subscriptions(actor, actor.organisation_id),
                "price_changes": await pricing.announced_for(actor, actor.organisation_id),
                "catalogue": await services.catalogue(),
            },
        )


ROUTES: list[Any] = [
    CatalogueApi,
    SubscriptionsApi,
    PriceChangesApi,
    SubscriptionsAdmin,
    OrganisationSubscriptions,
    *admin_controllers.ROUTES,
]
