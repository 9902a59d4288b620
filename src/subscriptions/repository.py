"""Every query of the subscriptions domain's tenant-owned tables: subscriptions and charges.

An organisation's subscriptions are read and changed through its TenantScope (the actor may act
for it). Two reads answer the tenants domain's rules (src/tenants/catalogue.py), which have
scoped the organisation already: the services in force for one organisation on a day (rule
AG-1), and for every organisation at once (the vendor admins' overview). A charge is read and
changed for its certificate, inside the certificates domain's transaction that scoped it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core.tables import AuditEntry
from src.core.tenancy import Actor, TenantScope, readable
from src.subscriptions.tables import Charge, Subscription, SubscriptionChange

# An order of an organisation asked for security (rule BIL-11): not in force, not billed, until
# its advance invoice is paid.
AWAITING_SECURITY = "awaiting_security"

SUBSCRIPTION_COLUMNS = (
    *Subscription.all_columns(),
    Subscription.service.code.as_alias("service_code"),
    Subscription.service.name_nl.as_alias("service_name_nl"),
    Subscription.service.name_sv.as_alias("service_name_sv"),
    Subscription.service.name_en.as_alias("service_name_en"),
    Subscription.service.delivered_at_address.as_alias("delivered_at_address"),
    Subscription.variant.code.as_alias("variant_code"),
    Subscription.variant.name_nl.as_alias("variant_name_nl"),
    Subscription.variant.name_sv.as_alias("variant_name_sv"),
    Subscription.variant.name_en.as_alias("variant_name_en"),
    Subscription.variant.unit.as_alias("unit"),
)


# --- subscriptions ------------------------------------------------------------------------------


async def subscriptions_of(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's subscriptions, newest first."""
    return await (
        scope.select(Subscription, *SUBSCRIPTION_COLUMNS)
        .order_by(Subscription.starts_on, ascending=False)
        .order_by(Subscription.id, ascending=False)
    )


async def subscription(scope: TenantScope, subscription_id: int, *columns: Any) -> dict[str, Any]:
    """One of the organisation's subscriptions (NotFound when it has no such one)."""
    return await scope.get(Subscription, subscription_id, *(columns or SUBSCRIPTION_COLUMNS))


async def active_of_variant(scope: TenantScope, variant_id: int) -> list[dict[str, Any]]:
    """The organisation's active subscriptions of a variant (`id`, `ends_on`), and those ordered
    that wait for security (BIL-11)."""
    return await (
        scope.select(Subscription, Subscription.id, Subscription.ends_on)
        .where(Subscription.variant == variant_id)
        .where(Subscription.status.is_in(["active", AWAITING_SECURITY]))
    )


async def insert_subscription(scope: TenantScope, **values: Any) -> int:
    created = await Subscription.insert(Subscription(organisation=scope.organisation_id, **values)).returning(
        Subscription.id
    )
    return int(created[0]["id"])


async def end_subscription(
    scope: TenantScope, subscription_id: int, ends_on: dt.date, now: dt.datetime
) -> None:

    await (
        Subscription.update(
            {
                Subscription.status: "ended",
                Subscription.ends_on: ends_on,
                Subscription.ended_by: scope.actor.person_id or None,
                Subscription.updated_at: now,
            }
        )
        .where(Subscription.id == subscription_id)
        .where(Subscription.organisation == scope.organisation_id)
    )


async def service_codes_from(organisation_id: int, on: dt.date) -> list[dict[str, Any]]:
    """The organisation's subscriptions not cancelled that started by `on` (`code`, `ends_on`)."""
    return await (
        Subscription.select(Subscription.service.code.as_alias("code"), Subscription.ends_on)
        .where(Subscription.organisation == organisation_id)
        .where(Subscription.status != "cancelled")
        .where(Subscription.starts_on <= on)
    )


async def service_codes_of_all_from(on: dt.date) -> list[dict[str, Any]]:
    """Every organisation's subscriptions that started by `on` (`organisation`, `code`, dates)."""
    return await Subscription.select(
        Subscription.organisation,
        Subscription.starts_on,
        Subscription.ends_on,
        Subscription.service._.code.as_alias("code"),
    ).where(Subscription.starts_on <= on)


async def update_subscription(scope: TenantScope, subscription_id: int, **values: Any) -> None:
    """Change columns of one of the organisation's subscriptions (by column name)."""
    await (
        Subscription.update({getattr(Subscription, k): v for k, v in values.items()})
        .where(Subscription.id == subscription_id)
        .where(Subscription.organisation == scope.organisation_id)
    )


# --- changes of subscriptions -------------------------------------------------------------------

CHANGE_COLUMNS = (
    *SubscriptionChange.all_columns(),
    SubscriptionChange.from_variant.code.as_alias("from_variant_code"),
    SubscriptionChange.from_variant.name_nl.as_alias("from_variant_name_nl"),
    SubscriptionChange.from_variant.name_sv.as_alias("from_variant_name_sv"),
    SubscriptionChange.from_variant.name_en.as_alias("from_variant_name_en"),
    SubscriptionChange.to_variant.code.as_alias("to_variant_code"),
    SubscriptionChange.to_variant.name_nl.as_alias("to_variant_name_nl"),
    SubscriptionChange.to_variant.name_sv.as_alias("to_variant_name_sv"),
    SubscriptionChange.to_variant.name_en.as_alias("to_variant_name_en"),
    SubscriptionChange.subscription._.service._.code.as_alias("service_code"),
    SubscriptionChange.subscription._.service._.name_nl.as_alias("service_name_nl"),
    SubscriptionChange.subscription._.service._.name_sv.as_alias("service_name_sv"),
    SubscriptionChange.subscription._.service._.name_en.as_alias("service_name_en"),
    SubscriptionChange.subscription.currency.as_alias("currency"),
)


async def changes_of(scope: TenantScope, subscription_ids: list[int]) -> list[dict[str, Any]]:
    """The changes of the organisation's subscriptions, newest first."""
    if not subscription_ids:
        return []
    return await (
        scope.select(SubscriptionChange, *CHANGE_COLUMNS)
        .where(SubscriptionChange.subscription.is_in(subscription_ids))
        .order_by(SubscriptionChange.id, ascending=False)
    )


async def scheduled_change(scope: TenantScope, subscription_id: int) -> dict[str, Any] | None:
    """The subscription's change waiting for its day, if any (at most one)."""
    return await (
        scope.select(SubscriptionChange, *CHANGE_COLUMNS)
        .where(SubscriptionChange.subscription == subscription_id)
        .where(SubscriptionChange.status == "scheduled")
        .first()
    )


async def change(scope: TenantScope, subscription_id: int, change_id: int) -> dict[str, Any] | None:
    return await (
        scope.select(SubscriptionChange, *CHANGE_COLUMNS)
        .where(SubscriptionChange.subscription == subscription_id)
        .where(SubscriptionChange.id == change_id)
        .first()
    )


async def change_by_id(scope: TenantScope, change_id: int) -> dict[str, Any]:
    return await scope.get(SubscriptionChange, change_id, *CHANGE_COLUMNS)


async def insert_change(scope: TenantScope, subscription_id: int, **values: Any) -> int:
    """Record a change of one of the organisation's subscriptions (the caller read it through
    the same scope)."""
    await scope.get(Subscription, subscription_id, Subscription.id)
    created = await SubscriptionChange.insert(
        SubscriptionChange(subscription=subscription_id, **values)
    ).returning(SubscriptionChange.id)
    return int(created[0]["id"])


async def move_change(
    scope: TenantScope, change_id: int, from_status: str, to_status: str, **values: Any
) -> bool:
    """Move a change from one status to another, once: False when it no longer has `from_status`
    (another process moved it first)."""
    await scope.get(SubscriptionChange, change_id, SubscriptionChange.id)
    moved = await (
        SubscriptionChange.update(
            {
                SubscriptionChange.status: to_status,
                **{getattr(SubscriptionChange, k): v for k, v in values.items()},
            }
        )
        .where(SubscriptionChange.id == change_id)
        .where(SubscriptionChange.status == from_status)
        .returning(SubscriptionChange.id)
    )
    return bool(moved)


async def due_changes(actor: Actor, on: dt.date) -> list[dict[str, Any]]:
    """Scheduled changes due on or before `on` of every organisation the actor may see, oldest
    day first (`id`, `subscription`, `effective_on`, `organisation`, `country`)."""
    return await (
        readable(
            actor,
            SubscriptionChange,
            SubscriptionChange.id,
            SubscriptionChange.subscription,
            SubscriptionChange.effective_on,
            SubscriptionChange.subscription.organisation.as_alias("organisation"),
            SubscriptionChange.subscription._.organisation._.country.as_alias("country"),
        )
        .where(SubscriptionChange.status == "scheduled")
        .where(SubscriptionChange.effective_on <= on)
        .order_by(SubscriptionChange.effective_on)
        .order_by(SubscriptionChange.id)
    )


# --- charges ------------------------------------------------------------------------------------


async def charge_for(actor: Actor, source_type: str, source_id: int) -> dict[str, Any] | None:
    """The charge of a source (e.g. a certificate), when the actor may see it."""
    return await (
        readable(actor, Charge)
        .where(Charge.source_type == source_type)
        .where(Charge.source_id == source_id)
        .first()
    )


async def insert_charge(organisation_id: int, **values: Any) -> dict[str, Any]:
    rows = await Charge.insert(Charge(organisation=organisation_id, **values)).returning(
        *Charge.all_columns()
    )
    return rows[0]


async def change_payer(charge_id: int, payer_kind: str, payer_name: str) -> None:
    await Charge.update({Charge.payer_kind: payer_kind, Charge.payer_name: payer_name}).where(
        Charge.id == charge_id
    )


async def organisations_subscribed_to(actor: Actor, variant_id: int, on: dt.date) -> list[dict[str, Any]]:
    """The organisations (`id`, `name`, `country`) with a subscription to the variant that is
    still running on `on` (the day a new price takes effect), as far as the actor may see."""
    rows = await (
        readable(
            actor,
            Subscription,
            Subscription.organisation.as_alias("id"),
            Subscription.organisation.name.as_alias("name"),
            Subscription.organisation.country.as_alias("country"),
            Subscription.ends_on,
        )
        .where(Subscription.variant == variant_id)
        .where(Subscription.status == "active")
        .order_by(Subscription.organisation)
    )
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["ends_on"] is None or row["ends_on"] > on:
            seen.setdefault(
                int(row["id"]), {"id": int(row["id"]), "name": row["name"], "country": row["country"]}
            )
    return list(seen.values())


async def running_variants(scope: TenantScope, on: dt.date) -> set[int]:
    """The variants the organisation has a subscription to that runs on or after `on`."""
    rows = await scope.select(Subscription, Subscription.variant, Subscription.ends_on).where(
        Subscription.status == "active"
    )
    return {int(r["variant"]) for r in rows if r["ends_on"] is None or r["ends_on"] > on}


# --- the vendor admins' catalogue, revenue and pending changes ---------------------------------
# Reads for every organisation at once through readable(actor): only vendor admins reach the
# pages that ask them, and anyone else gets their own organisation's rows only.


async def variant_ever_subscribed(actor: Actor, variant_id: int) -> bool:
    """Whether any organisation subscribes, or ever subscribed, to the variant (or has a change
    to it scheduled)."""
    if await readable(actor, Subscription, Subscription.id).where(Subscription.variant == variant_id).first():
        return True
    changed = (
        await readable(actor, SubscriptionChange, SubscriptionChange.id)
        .where(SubscriptionChange.to_variant == variant_id)
        .first()
    )
    return changed is not None


async def service_ever_subscribed(actor: Actor, service_id: int) -> bool:
    """Whether any organisation subscribes, or ever subscribed, to a variant of the service."""
    row = (
        await readable(actor, Subscription, Subscription.id).where(Subscription.service == service_id).first()
    )
    return row is not None


async def audit_history(actor: Actor, object_type: str, object_id: int) -> list[dict[str, Any]]:
    """The audit rows of one catalogue object (a service or a variant), newest first."""
    return await (
        readable(
            actor,
            AuditEntry,
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_label,
            AuditEntry.action,
            AuditEntry.before,
            AuditEntry.after,
        )
        .where(AuditEntry.object_type == object_type)
        .where(AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id, ascending=False)
        .limit(200)
        .output(load_json=True)
    )


async def subscriptions_for_revenue(actor: Actor, today: dt.date) -> list[dict[str, Any]]:
    """Every subscription that runs today or later (not ended before today, not cancelled):
    what monthly recurring revenue is counted from, in one query."""
    return await (
        readable(
            actor,
            Subscription,
            Subscription.id,
            Subscription.variant,
            Subscription.quantity,
            Subscription.status,
            Subscription.starts_on,
            Subscription.ends_on,
        )
        .where(Subscription.status != "cancelled")
        .where(Subscription.ends_on.is_null() | (Subscription.ends_on > today))
    )


async def scheduled_changes(actor: Actor) -> list[dict[str, Any]]:
    """Every change with status "scheduled", the earliest effective first, with its
    organisation and the subscription's variant, in one query."""
    return await (
        readable(
            actor,
            SubscriptionChange,
            SubscriptionChange.id,
            SubscriptionChange.subscription,
            SubscriptionChange.kind,
            SubscriptionChange.given_on,
            SubscriptionChange.effective_on,
            SubscriptionChange.from_variant,
            SubscriptionChange.to_variant,
            SubscriptionChange.from_quantity,
            SubscriptionChange.to_quantity,
            SubscriptionChange.street,
            SubscriptionChange.postcode,
            SubscriptionChange.city,
            SubscriptionChange.subscription.variant.as_alias("variant"),
            SubscriptionChange.subscription.quantity.as_alias("quantity"),
            SubscriptionChange.subscription.organisation.as_alias("organisation_id"),
            SubscriptionChange.subscription._.organisation._.name.as_alias("organisation_name"),
        )
        .where(SubscriptionChange.status == "scheduled")
        .order_by(SubscriptionChange.effective_on)
        .order_by(SubscriptionChange.id)
    )


# --- what billing reads -------------------------------------------------------------------------


async def organisations_with_billables(actor: Actor, first: dt.date, end: dt.date) -> list[int]:
    """Organisations with a subscription in force on a day of [first, end), or a pending charge
    chargeable before `end`, as far as the actor may see (billing runs act for all)."""
    subscribed = await (
        readable(actor, Subscription, Subscription.organisation)
        .where(Subscription.status != AWAITING_SECURITY)
        .where(Subscription.starts_on < end)
        .where(Subscription.ends_on.is_null() | (Subscription.ends_on > first))
        .distinct()
    )
    charged = await (
        readable(actor, Charge, Charge.organisation)
        .where(Charge.status == "pending")
        .where(Charge.chargeable_on < end)
        .distinct()
    )
    return sorted({int(r["organisation"]) for r in [*subscribed, *charged]})


async def subscriptions_in(scope: TenantScope, first: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The organisation's subscriptions in force on a day of [first, end)."""
    return await (
        scope.select(Subscription, *SUBSCRIPTION_COLUMNS)
        .where(Subscription.status != AWAITING_SECURITY)
        .where(Subscription.starts_on < end)
        .where(Subscription.ends_on.is_null() | (Subscription.ends_on > first))
        .order_by(Subscription.id)
    )


async def applied_changes_of(scope: TenantScope, subscription_ids: list[int]) -> list[dict[str, Any]]:
    """The applied changes of these subscriptions, in the order they took effect."""
    if not subscription_ids:
        return []
    return await (
        scope.select(
            SubscriptionChange,
            SubscriptionChange.id,
            SubscriptionChange.subscription,
            SubscriptionChange.kind,
            SubscriptionChange.effective_on,
            SubscriptionChange.from_variant,
            SubscriptionChange.from_quantity,
            SubscriptionChange.to_variant,
            SubscriptionChange.to_quantity,
        )
        .where(SubscriptionChange.subscription.is_in(subscription_ids))
        .where(SubscriptionChange.status == "applied")
        .order_by(SubscriptionChange.effective_on)
        .order_by(SubscriptionChange.id)
    )


async def pending_charges(scope: TenantScope, end: dt.date) -> list[dict[str, Any]]:
    """The organisation's charges not invoiced yet that fell due before `end`."""
    return await (
        scope.select(Charge, *Charge.all_columns())
        .where(Charge.status == "pending")
        .where(Charge.chargeable_on < end)
        .order_by(Charge.chargeable_on)
        .order_by(Charge.id)
    )


async def mark_charges_invoiced(scope: TenantScope, charge_ids: list[int]) -> None:
    if charge_ids:
        await (
            Charge.update({Charge.status: "invoiced"})
            .where(Charge.id.is_in(charge_ids))
            .where(Charge.organisation == scope.organisation_id)
        )


# --- what billing's revenue joins to its invoice lines ------------------------------------------


def services_of_subscriptions(actor: Actor) -> Any:
    """The service of each subscription the actor may read (`id`, `service`): a query that is
    not run here, for billing to join its invoice lines to in the database."""
    return readable(actor, Subscription, Subscription.id, Subscription.service)


def kinds_of_charges(actor: Actor) -> Any:
    """What each charge the actor may read is for (`id`, `source_type`), as a query to join."""
    return readable(actor, Charge, Charge.id, Charge.source_type)


async def start_secured_order(
    scope: TenantScope, subscription_id: int, starts_on: dt.date, paid_until: dt.date, now: dt.datetime
) -> bool:
    """Start an order that waited for its advance payment (rule BIL-11), once: False when it had
    started already."""
    changed = await (
        Subscription.update(
            {
                Subscription.status: "active",
                Subscription.starts_on: starts_on,
                Subscription.paid_in_advance_until: paid_until,
                Subscription.updated_at: now,
            }
        )
        .where(Subscription.id == subscription_id)
        .where(Subscription.organisation == scope.organisation_id)
        .where(Subscription.status == AWAITING_SECURITY)
        .returning(Subscription.id)
    )
    return bool(changed)
