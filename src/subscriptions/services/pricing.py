"""Prices in force per day, and price changes announced ahead (rules SUB-4, SUB-6).

A variant's `monthly_price_cents` is its price from the start; each PriceChange sets a new
price from its `effective_on`. The price in force on a day is that of the latest change effective
on or before it (of two changes for the same day, the later scheduled), else the variant's own.
Invoices use the price of each day; nothing ever rewrites a price that was in force.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from src.core import audit, clock, db
from src.core.errors import InputError, NotFound
from src.core.i18n import _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import letters, terms
from src.subscriptions.tables import PriceChange, Service, ServiceVariant

MAX_PRICE_CENTS = 100_000_000  # EUR 1,000,000 a month per unit: beyond that it is a typing error


@dataclass(frozen=True)
class History:
    """A variant's prices: `days[i]` is the first day of `prices[i]` (the first is None: always)."""

    days: tuple[dt.date | None, ...]
    prices: tuple[int, ...]

    def on(self, day: dt.date) -> int:
        known = [d for d in self.days[1:] if d is not None]
        return self.prices[bisect.bisect_right(known, day)]


async def histories(variant_ids: Iterable[int]) -> dict[int, History]:
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    bases = await ServiceVariant.select(ServiceVariant.id, ServiceVariant.monthly_price_cents).where(
        ServiceVariant.id.is_in(ids)
    )
    changes = (
        await PriceChange.select(
            PriceChange.variant, PriceChange.effective_on, PriceChange.monthly_price_cents
        )
        .where(PriceChange.variant.is_in(ids))
        .order_by(PriceChange.effective_on)
        .order_by(PriceChange.id)
    )
    days: dict[int, list[dt.date | None]] = {int(b["id"]): [None] for b in bases}
    prices: dict[int, list[int]] = {int(b["id"]): [int(b["monthly_price_cents"])] for b in bases}
    for change in changes:
        variant = int(change["variant"])
        if days[variant][-1] == change["effective_on"]:
            prices[variant][-1] = int(change["monthly_price_cents"])
        else:
            days[variant].append(change["effective_on"])
            prices[variant].append(int(change["monthly_price_cents"]))
    return {v: History(tuple(days[v]), tuple(prices[v])) for v in days}


async def price_on(variant_id: int, day: dt.date) -> int:
    history = (await histories([variant_id])).get(variant_id)
    if history is None:
        raise NotFound()
    return history.on(day)


def _cents(value: Any) -> int:
    try:
        cents = int(value)
    except (TypeError, ValueError):
        raise InputError({"monthly_price_cents": _("Give the price in whole cents.")}) from None
    if isinstance(value, bool) or not 0 <= cents <= MAX_PRICE_CENTS:
        raise InputError({"monthly_price_cents": _("Give a price between 0 and 1,000,000 euros.")})
    return cents


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError({"effective_on": _("Give a date as YYYY-MM-DD.")}) from None


async def variant_by_codes(service: Any, variant: Any) -> dict[str, Any]:
    """The variant named by its service's code and its own (InputError naming the field)."""
    if not await Service.exists().where(Service.code == str(service or "")):
        raise InputError({"service": _("There is no service with this code.")})
    row = (
        await ServiceVariant.select()
        .where(ServiceVariant.service.code == str(service))
        .where(ServiceVariant.code == str(variant or ""))
        .first()
    )
    if row is None:
        raise InputError({"variant": _("This service has no variant with this code.")})
    return row


async def schedule(
    actor: Actor, variant_id: int, monthly_price_cents: Any, effective_on: Any
) -> dict[str, Any]:
    """Schedule a new monthly price for a variant (vendor admins; SUB-4: at least four months
    after today, in the vendor's time zone). The contact persons of every organisation whose
    subscription to the variant still runs on that day are told once, in the same transaction
    (through the outbox), naming the old price, the new price and the day."""
    require_vendor_admin(actor)
    cents = _cents(monthly_price_cents)
    day = _day(effective_on)
    today = clock.today()
    earliest = terms.earliest_price_change(today)
    if day < earliest:
        raise InputError(
            {
                "effective_on": _(
                    "A price change takes effect at least four months after it is announced: "
                    "on %(date)s at the earliest.",
                    date=format_date(earliest),
                )
            }
        )
    async with db.transaction():
        variant = await ServiceVariant.select().where(ServiceVariant.id == variant_id).first()
        if variant is None:
            raise NotFound()
        previous = await price_on(variant_id, day - dt.timedelta(days=1))
        row = (
            await PriceChange.insert(
                PriceChange(
                    variant=variant_id,
                    monthly_price_cents=cents,
                    previous_price_cents=previous,
                    currency=variant["currency"],
                    announced_on=today,
                    effective_on=day,
                    created_by=actor.person_id or None,
                )
            ).returning(*PriceChange.all_columns())
        )[0]
        notified = await _notify(actor, row, variant)
        await PriceChange.update({PriceChange.organisations_notified: notified}).where(
            PriceChange.id == row["id"]
        )
        row["organisations_notified"] = notified
        await audit.record(
            actor,
            "subscriptions.price_change_scheduled",
            organisation_id=None,
            object_type="price_change",
            object_id=row["id"],
            before={"monthly_price_cents": previous},
            after={
                "variant": variant_id,
                "monthly_price_cents": cents,
                "effective_on": day.isoformat(),
                "organisations_notified": notified,
            },
        )
    return row


async def _notify(actor: Actor, change: dict[str, Any], variant: dict[str, Any]) -> int:
    """Queue the notice of a price change to each affected organisation's contact persons, in
    the organisation's language; the number of organisations told."""
    organisations = await repository.organisations_subscribed_to(actor, variant["id"], change["effective_on"])

    def compose() -> tuple[str, list[str]]:
        name = localised_name(variant, current_locale.get())
        subject = _(
            "New price of %(variant)s from %(date)s",
            variant=name,
            date=format_date(change["effective_on"]),
        )
        return subject, [
            _(
                "The monthly price of %(variant)s changes from %(old)s to %(new)s per unit from %(date)s.",
                variant=name,
                old=format_money(change["previous_price_cents"], change["currency"]),
                new=format_money(change["monthly_price_cents"], change["currency"]),
                date=format_date(change["effective_on"]),
            ),
            _(
                "We announce price changes at least four months ahead. You can see your "
                "subscriptions, and change or cancel them, in the portal:"
            ),
            letters.subscriptions_url(),
        ]

    for organisation in organisations:
        await letters.tell_contact_persons(actor, organisation, f"price-change:{change['id']}", compose)
    return len(organisations)


async def has_changes(variant_id: int) -> bool:
    """Whether a new price was ever announced for the variant."""
    return bool(await PriceChange.exists().where(PriceChange.variant == variant_id))


async def list_changes(actor: Actor) -> list[dict[str, Any]]:
    """Every price change, the latest effective first (vendor admins)."""
    require_vendor_admin(actor)
    return await (
        PriceChange.select(
            *PriceChange.all_columns(),
            PriceChange.variant.code.as_alias("variant_code"),
            PriceChange.variant._.service._.code.as_alias("service_code"),
        )
        .order_by(PriceChange.effective_on, ascending=False)
        .order_by(PriceChange.id, ascending=False)
    )


async def announced_for(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The price changes announced for variants the organisation subscribes to, until their day
    has come (shown on its subscriptions page)."""
    scope = TenantScope(actor, organisation_id)
    today = clock.today(actor.organisation_country or None)
    variants = await repository.running_variants(scope, today)
    if not variants:
        return []
    rows = await (
        PriceChange.select(
            *PriceChange.all_columns(),
            *PriceChange.variant.all_columns(exclude=["id"]),
        )
        .where(PriceChange.variant.is_in(sorted(variants)))
        .where(PriceChange.effective_on > today)
        .order_by(PriceChange.effective_on)
    )
    locale = current_locale.get()
    return [{**r, "variant_name": localised_name(r, locale, "variant.")} for r in rows]
