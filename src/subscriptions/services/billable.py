"""What billing reads of an organisation's subscriptions and charges for a month: each
subscription's variant and quantity from day to day (its start and applied changes), the prices
in force (price changes), and the charges fallen due. Billing makes invoice lines of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from src.core.tenancy import Actor, TenantScope
from src.subscriptions import repository
from src.subscriptions.services import pricing
from src.subscriptions.tables import PriceChange, ServiceVariant


@dataclass(frozen=True)
class BillableSubscription:
    id: int
    service_names: dict[str, str]  # by language
    starts_on: dt.date
    ends_on: dt.date | None
    currency: str
    # (from day, variant id, quantity), oldest first: the start, then each applied change
    states: tuple[tuple[dt.date, int, int], ...]


@dataclass
class Billables:
    subscriptions: list[BillableSubscription] = field(default_factory=list)
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)  # names, tax_category, unit
    prices: dict[int, pricing.History] = field(default_factory=dict)
    price_change_days: dict[int, list[dt.date]] = field(default_factory=dict)
    charges: list[dict[str, Any]] = field(default_factory=list)


async def organisations_to_bill(actor: Actor, first: dt.date, end: dt.date) -> list[int]:
    return await repository.organisations_with_billables(actor, first, end)


async def billables(actor: Actor, organisation_id: int, first: dt.date, end: dt.date) -> Billables:
    scope = TenantScope(actor, organisation_id)
    subs = await repository.subscriptions_in(scope, first, end)
    changes = await repository.applied_changes_of(scope, [int(s["id"]) for s in subs])
    by_sub: dict[int, list[dict[str, Any]]] = {}
    for change in changes:
        by_sub.setdefault(int(change["subscription"]), []).append(change)
    result = Billables(charges=await repository.pending_charges(scope, end))
    for s in subs:
        moves = [c for c in by_sub.get(int(s["id"]), []) if c["kind"] in ("upgrade", "downgrade")]
        # The first month of an order that waited for security is paid by its advance (BIL-11).
        advance = s.get("paid_in_advance_until")
        billed_from = max(s["starts_on"], advance + dt.timedelta(days=1)) if advance else s["starts_on"]
        if moves:
            first_state = (billed_from, int(moves[0]["from_variant"]), int(moves[0]["from_quantity"]))
        else:
            first_state = (billed_from, int(s["variant"]), int(s["quantity"]))
        states = [first_state] + [
            (c["effective_on"], int(c["to_variant"]), int(c["to_quantity"])) for c in moves
        ]
        result.subscriptions.append(
            BillableSubscription(
                id=int(s["id"]),
                service_names={lang: s[f"service_name_{lang}"] for lang in ("nl", "sv", "en")},
                starts_on=billed_from,
                ends_on=s["ends_on"],
                currency=s["currency"],
                states=tuple(states),
            )
        )
    variant_ids = sorted({v for sub in result.subscriptions for _d, v, _q in sub.states})
    if variant_ids:
        for v in await ServiceVariant.select().where(ServiceVariant.id.is_in(variant_ids)):
            result.variants[int(v["id"])] = v
        result.prices = await pricing.histories(variant_ids)
        for change in await PriceChange.select(PriceChange.variant, PriceChange.effective_on).where(
            PriceChange.variant.is_in(variant_ids)
        ):
            result.price_change_days.setdefault(int(change["variant"]), []).append(change["effective_on"])
    return result


async def mark_invoiced(actor: Actor, organisation_id: int, charge_ids: list[int]) -> None:
    await repository.mark_charges_invoiced(TenantScope(actor, organisation_id), charge_ids)
