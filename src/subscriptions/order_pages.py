"""The organisation's subscriptions page: what it subscribes to and pays a month, and where
contact persons order, change, cancel and move subscriptions, each through a confirmation step
that shows what will happen before anything is stored (rules AG-8, SUB-2..SUB-6)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody

from src.core.errors import Conflict, InputError
from src.core.i18n import _, format_date
from src.core.tenancy import Actor
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_contact_person
from src.settings import get_settings
from src.subscriptions.services import changes, ordering, pricing
from src.subscriptions.services import subscriptions as services
from src.tenants.services.organisations import get_organisation
from src.tenants.services.service_doors import has_door

Form = URLEncodedBody[dict[str, str]]
BASE = "/organisation/subscriptions"
ORDER_FIELDS = ("offer", "quantity", "start", "street", "postcode", "city")
CHANGE_FIELDS = ("kind", "variant", "quantity", "street", "postcode", "city")


def _address(values: dict[str, str]) -> dict[str, str] | None:
    """The address fields of a form, or None when all are empty (the default address)."""
    address = {k: values.get(k, "") for k in ("street", "postcode", "city")}
    return address if any(address.values()) else None


def _form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field names of the services as the forms name them."""
    renamed: dict[str, str] = {}
    for field, message in errors.items():
        if field in ("service", "variant"):
            field = "offer"
        renamed[field.removeprefix("address.")] = message
    return renamed


def _totals(subscriptions: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The monthly amount of the subscriptions in force, per currency."""
    totals: dict[str, int] = {}
    for s in subscriptions:
        if s["in_force"]:
            totals[s["currency"]] = totals.get(s["currency"], 0) + s["monthly_cents"]
    return sorted(totals.items())


class OrganisationSubscriptions(Controller):
    """The organisation's own subscriptions; where contact persons order (rule AG-8)."""

    path = BASE
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    async def _index(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        assert actor.organisation_id is not None
        subscriptions = await services.list_subscriptions(actor, actor.organisation_id)
        catalogue = await services.catalogue()
        return page(
            request,
            "subscriptions/org_subscriptions.html",
            {
                "organisation": await get_organisation(actor, actor.organisation_id),
                "subscriptions": subscriptions,
                "totals": _totals(subscriptions),
                "price_changes": await pricing.announced_for(actor, actor.organisation_id),
                "catalogue": catalogue,
                "door_codes": {c["code"] for c in catalogue if has_door(c)},
                "values": values or {"quantity": "1"},
                "example_prices": get_settings().example_prices,
                "errors": errors or {},
            },
            partial="subscriptions/_order_form.html",
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await self._index(request, actor)

    async def _quote(self, actor: Actor, values: dict[str, str]) -> dict[str, Any]:
        assert actor.organisation_id is not None
        service, _sep, variant = values["offer"].partition("/")
        return await ordering.quote(
            actor,
            actor.organisation_id,
            service=service,
            variant=variant,
            quantity=values["quantity"],
            start=values["start"] or None,
            address=_address(values),
        )

    @post("/order/review", dependencies={"actor": Provide(provide_contact_person)})
    async def review_order(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {k: (data.get(k) or "").strip() for k in ORDER_FIELDS}
        try:
            quote = await self._quote(actor, values)
        except InputError as exc:
            return await self._index(request, actor, values, _form_errors(exc.errors), status_code=422)
        return page(
            request,
            "subscriptions/org_order_review.html",
            {"quote": quote, "values": values},
            partial="subscriptions/_order_review.html",
        )

    @post("/order", dependencies={"actor": Provide(provide_contact_person)})
    async def order(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {k: (data.get(k) or "").strip() for k in ORDER_FIELDS}
        service, _sep, variant = values["offer"].partition("/")
        try:
            row = await ordering.order(
                actor,
                actor.organisation_id,
                service=service,
                variant=variant,
                quantity=values["quantity"],
                start=values["start"] or None,
                address=_address(values),
                expected_monthly_price_cents=data.get("expected_monthly_price_cents") or None,
            )
        except ordering.AgreementMissing as exc:
            flash(request, exc.message, "error")
            return redirect(request, "/organisation/agreement")
        except ordering.PriceChanged as exc:
            quote = await self._quote(actor, values)
            return page(
                request,
                "subscriptions/org_order_review.html",
                {"quote": quote, "values": values, "problem": exc.message},
                partial="subscriptions/_order_review.html",
                status_code=409,
            )
        except InputError as exc:
            return await self._index(request, actor, values, _form_errors(exc.errors), status_code=422)
        flash(
            request,
            _(
                "You ordered %(name)s from %(date)s. The contact persons get the confirmation by mail.",
                name=f"{row['service_name']}: {row['variant_name']}",
                date=format_date(row["starts_on"]),
            ),
        )
        return redirect(request, BASE)

    # --- changes of one subscription --------------------------------------------------------

    async def _change_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        subscription_id: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        assert actor.organisation_id is not None
        subscription = await services.get_subscription(actor, actor.organisation_id, subscription_id)
        variants: list[dict[str, Any]] = next(
            (s["variants"] for s in await services.catalogue() if s["code"] == subscription["service_code"]),
            [],
        )
        return page(
            request,
            "subscriptions/org_subscription_change.html",
            {
                "s": subscription,
                "variants": variants,
                "waiting": next(
                    (
                        c
                        for c in await changes.list_changes(actor, actor.organisation_id, subscription_id)
                        if c["status"] == "scheduled"
                    ),
                    None,
                ),
                "values": values
                or {"variant": subscription["variant_code"], "quantity": str(subscription["quantity"])},
                "errors": errors or {},
            },
            partial="subscriptions/_change_form.html",
            status_code=status_code,
        )

    @get("/{subscription_id:int}/change", dependencies={"actor": Provide(provide_contact_person)})
    async def change_page(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], subscription_id: FromPath[int]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return await self._change_page(request, actor, subscription_id)

    async def _plan(self, actor: Actor, subscription_id: int, values: dict[str, str]) -> dict[str, Any]:
        assert actor.organisation_id is not None
        return await changes.plan(
            actor,
            actor.organisation_id,
            subscription_id,
            kind=values["kind"],
            variant=values["variant"] or None,
            quantity=values["quantity"] or None,
            address=_address(values) if values["kind"] == "move" else None,
        )

    @post("/{subscription_id:int}/change/review", dependencies={"actor": Provide(provide_contact_person)})
    async def review_change(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {k: (data.get(k) or "").strip() for k in CHANGE_FIELDS}
        try:
            plan = await self._plan(actor, subscription_id, values)
        except InputError as exc:
            return await self._change_page(
                request, actor, subscription_id, values, _form_errors(exc.errors), status_code=422
            )
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, BASE)
        return page(
            request,
            "subscriptions/org_change_review.html",
            {"plan": plan, "values": {**values, "kind": plan["kind"]}, "subscription_id": subscription_id},
            partial="subscriptions/_change_review.html",
        )

    @post("/{subscription_id:int}/change", dependencies={"actor": Provide(provide_contact_person)})
    async def change(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        values = {k: (data.get(k) or "").strip() for k in CHANGE_FIELDS}
        try:
            row = await changes.change(
                actor,
                actor.organisation_id,
                subscription_id,
                kind=values["kind"],
                variant=values["variant"] or None,
                quantity=values["quantity"] or None,
                address=_address(values) if values["kind"] == "move" else None,
                replace=data.get("replace") == "yes",
                expected_monthly_price_cents=data.get("expected_monthly_price_cents") or None,
            )
        except InputError as exc:
            return await self._change_page(
                request, actor, subscription_id, values, _form_errors(exc.errors), status_code=422
            )
        except (changes.ReplaceNeeded, ordering.PriceChanged) as exc:
            plan = await self._plan(actor, subscription_id, values)
            return page(
                request,
                "subscriptions/org_change_review.html",
                {"plan": plan, "values": values, "subscription_id": subscription_id, "problem": exc.message},
                partial="subscriptions/_change_review.html",
                status_code=409,
            )
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, BASE)
        if row["status"] == "applied":
            message = _(
                "%(kind)s of %(service)s: in effect from today.",
                kind=row["kind_name"],
                service=row["service_name"],
            )
        else:
            message = _(
                "%(kind)s of %(service)s: takes effect on %(date)s. You can withdraw it until then.",
                kind=row["kind_name"],
                service=row["service_name"],
                date=format_date(row["effective_on"]),
            )
        flash(request, message)
        return redirect(request, BASE)

    @post(
        "/{subscription_id:int}/changes/{change_id:int}/withdraw",
        dependencies={"actor": Provide(provide_contact_person)},
    )
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[int],
        change_id: FromPath[int],
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        try:
            await changes.withdraw(actor, actor.organisation_id, subscription_id, change_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
        else:
            flash(request, _("The change was withdrawn; the subscription goes on as it was."))
        return redirect(request, BASE)


ROUTES: list[Any] = [OrganisationSubscriptions]
