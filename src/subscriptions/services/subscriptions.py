"""The catalogue and subscriptions: the rules, and the only code that writes them.

Rule AG-1 needs to know whether an organisation has a subscription for a service *on a day*:
`subscribed_service_codes` / `has_subscription` answer from the dates (`starts_on` <= day <
`ends_on`), so a subscription ended with a future date stays in force until then. Business
dates are the organisation's own (Europe/Amsterdam, Europe/Stockholm).

Ordering is `ordering.py`, changes under notice `changes.py`, price changes `pricing.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, cast

from src.core import audit, clock, db, events
from src.core.errors import InputError, NotFound
from src.core.i18n import _, current_locale, timezone_for
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import pricing
from src.subscriptions.tables import Service, ServiceModule, ServiceVariant, Subscription
from src.tenants import catalogue as tenants_catalogue
from src.tenants.tables import Organisation

MAX_QUANTITY = 10_000


def today_for(country: str | None) -> dt.date:
    """Today in the organisation's time zone."""
    return dt.datetime.now(timezone_for(country)).date()


async def organisation_of(organisation_id: int) -> dict[str, Any]:
    row = (
        await Organisation.select(
            Organisation.id,
            Organisation.name,
            Organisation.country,
            Organisation.postal_address,
            Organisation.vat_number,
            Organisation.requires_security,
        )
        .where(Organisation.id == organisation_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


# --- the catalogue --------------------------------------------------------------------------


async def catalogue(include_inactive: bool = False) -> list[dict[str, Any]]:
    """Every service with its modules and variants, names in the reader's language."""
    locale = current_locale.get()
    services_q = Service.select().order_by(Service.position).order_by(Service.id)
    variants_q = ServiceVariant.select().order_by(ServiceVariant.position).order_by(ServiceVariant.id)
    if not include_inactive:
        services_q = services_q.where(Service.active.eq(True))
        variants_q = variants_q.where(ServiceVariant.active.eq(True))
    services = await services_q
    modules = await ServiceModule.select().order_by(ServiceModule.position).order_by(ServiceModule.id)
    variants = await variants_q
    by_id: dict[int, dict[str, Any]] = {}
    for s in services:
        s = dict(s)
        s["name"] = localised_name(s, locale)
        s["modules"], s["variants"] = [], []
        by_id[s["id"]] = s
    for m in modules:
        if m["service"] in by_id:
            by_id[m["service"]]["modules"].append({**m, "name": localised_name(m, locale)})
    today = clock.today()
    prices = await pricing.histories(int(v["id"]) for v in variants)
    for v in variants:
        if v["service"] in by_id:
            history = prices.get(int(v["id"]))
            by_id[v["service"]]["variants"].append(
                {
                    **v,
                    "name": localised_name(v, locale),
                    "price_today_cents": history.on(today) if history else v["monthly_price_cents"],
                }
            )
    return list(by_id.values())


async def service_by_code(code: str) -> dict[str, Any] | None:
    return await Service.select().where(Service.code == code).first()


# --- subscriptions: reading -----------------------------------------------------------------


def _present(row: dict[str, Any], today: dt.date, history: pricing.History | None = None) -> dict[str, Any]:
    locale = current_locale.get()
    row = dict(row)
    row["service_name"] = localised_name(row, locale, "service_")
    row["variant_name"] = localised_name(row, locale, "variant_")
    row["in_force"] = row["starts_on"] <= today and (row["ends_on"] is None or row["ends_on"] > today)
    row["state"] = (
        "in_force" if row["in_force"] else ("starts_later" if row["starts_on"] > today else "ended")
    )
    if row["status"] == "awaiting_security":  # BIL-11: not in force before its advance is paid
        row["in_force"], row["state"] = False, "awaiting_security"
    row["can_end"] = row["status"] == "active" and row["ends_on"] is None
    row["unit_price_cents"] = history.on(max(today, row["starts_on"])) if history else row["price_cents"]
    row["monthly_cents"] = row["unit_price_cents"] * row["quantity"]
    row["last_day"] = row["ends_on"] - dt.timedelta(days=1) if row["ends_on"] else None
    return row


async def _presented(rows: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    histories = await pricing.histories(int(r["variant"]) for r in rows)
    return [_present(r, today, histories.get(int(r["variant"]))) for r in rows]


def kind_name(kind: str) -> str:
    return {
        "upgrade": _("Upgrade"),
        "downgrade": _("Downgrade"),
        "cancel": _("Cancellation"),
        "move": _("Move"),
    }.get(kind, kind)


def present_change(row: dict[str, Any]) -> dict[str, Any]:
    locale = current_locale.get()
    row = dict(row)
    row["kind_name"] = kind_name(row["kind"])
    row["service_name"] = localised_name(row, locale, "service_")
    row["from_variant_name"] = localised_name(row, locale, "from_variant_")
    row["to_variant_name"] = localised_name(row, locale, "to_variant_")
    row["last_day"] = row["effective_on"] - dt.timedelta(days=1)
    if isinstance(row.get("fees"), str):
        row["fees"] = json.loads(row["fees"])
    return row


async def list_subscriptions(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's subscriptions, newest first (its members and vendor admins), each with
    its unit price in force today and the change waiting for its day (`next_change`), if any."""
    scope = TenantScope(actor, organisation_id)
    organisation = await organisation_of(organisation_id)
    rows = await _presented(await repository.subscriptions_of(scope), clock.today(organisation["country"]))
    waiting = {
        int(c["subscription"]): c
        for c in await repository.changes_of(scope, [int(r["id"]) for r in rows])
        if c["status"] == "scheduled"
    }
    for row in rows:
        change = waiting.get(int(row["id"]))
        row["next_change"] = present_change(change) if change else None
    return rows


async def subscribed_service_codes(organisation_id: int, on: dt.date | None = None) -> set[str]:
    """The codes of the services the organisation has a subscription in force for (rule AG-1).

    Not tenant-scoped: callers are the compliance and rights rules, which already scoped."""
    if on is None:
        on = today_for((await organisation_of(organisation_id))["country"])
    rows = await repository.service_codes_from(organisation_id, on)
    return {r["code"] for r in rows if r["ends_on"] is None or r["ends_on"] > on}


async def subscribed_service_codes_of_all(on: dt.date) -> dict[int, set[str]]:
    """For every organisation, the codes of the services it has a subscription in force for on
    `on` (the vendor admins' overview, for all organisations at once)."""
    subscribed: dict[int, set[str]] = {}
    for s in await repository.service_codes_of_all_from(on):
        if s["ends_on"] is None or s["ends_on"] > on:
            subscribed.setdefault(s["organisation"], set()).add(s["code"])
    return subscribed


async def service_modules() -> list[dict[str, Any]]:
    """Every module of the catalogue, with its service's code and names, in catalogue order."""
    return await (
        ServiceModule.select(
            ServiceModule.id,
            ServiceModule.code,
            ServiceModule.name_nl,
            ServiceModule.name_sv,
            ServiceModule.name_en,
            ServiceModule.has_signing_rights,
            ServiceModule.service.code.as_alias("service_code"),
            ServiceModule.service.name_nl.as_alias("service_name_nl"),
            ServiceModule.service.name_sv.as_alias("service_name_sv"),
            ServiceModule.service.name_en.as_alias("service_name_en"),
        )
        .order_by(ServiceModule.service.position)
        .order_by(ServiceModule.position)
    )


async def module_codes(module_id: int) -> dict[str, Any] | None:
    """The code of a module and of its service (`code`, `service`)."""
    return await (
        ServiceModule.select(ServiceModule.code, ServiceModule.service.code.as_alias("service"))
        .where(ServiceModule.id == module_id)
        .first()
    )


async def has_subscription(organisation_id: int, service_code: str, on: dt.date | None = None) -> bool:
    return service_code in await subscribed_service_codes(organisation_id, on)


# --- subscriptions: changing ----------------------------------------------------------------


def _parse_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InputError({field: _("Enter a date as YYYY-MM-DD.")}) from None


def parse_quantity(value: Any) -> int:
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        raise InputError({"quantity": _("Enter a whole number.")}) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InputError({"quantity": _("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY)})
    return quantity


async def get_subscription(actor: Actor, organisation_id: int, subscription_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    organisation = await organisation_of(organisation_id)
    rows = await _presented(
        [await repository.subscription(scope, subscription_id)], clock.today(organisation["country"])
    )
    return rows[0]


async def end_subscription(
    actor: Actor, organisation_id: int, subscription_id: int, ends_on: Any = None
) -> dict[str, Any]:
    """A vendor admin ends a subscription on a date (today when none is given); it stays in
    force until that date."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    organisation = await organisation_of(organisation_id)
    end = _parse_date(ends_on or today_for(organisation["country"]), "ends_on")
    async with db.transaction():
        current = await repository.subscription(scope, subscription_id, *Subscription.all_columns())
        if current["status"] != "active" or current["ends_on"] is not None:
            raise InputError({"ends_on": _("This subscription has already ended.")})
        if end < current["starts_on"]:
            raise InputError({"ends_on": _("The end date cannot be before the start date.")})
        await repository.end_subscription(scope, subscription_id, end, dt.datetime.now(dt.UTC))
        await audit.record(
            actor,
            "subscriptions.subscription_ended",
            organisation_id=organisation_id,
            object_type="subscription",
            object_id=subscription_id,
            before={"status": current["status"], "ends_on": None},
            after={"status": "ended", "ends_on": end},
        )
        await events.publish(
            events.SUBSCRIPTION_CHANGED,
            actor=actor,
            organisation_id=organisation_id,
            subscription_id=subscription_id,
        )
        return await get_subscription(actor, organisation_id, subscription_id)


# The tenants domain asks its questions about the catalogue and subscriptions through this module.
tenants_catalogue.register(cast(tenants_catalogue.Catalogue, sys.modules[__name__]))
