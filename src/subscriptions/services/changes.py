"""Changing a subscription: upgrades at once, downgrades and cancellations under notice, moves
(rules SUB-2, SUB-3, SUB-5, SUB-6).

- **upgrade** (another variant or more units, the monthly amount rises): takes effect today and
  its one-time fee is charged today (when the service's terms say "upgrade any time"; otherwise
  it waits for the notice period like a downgrade);
- **downgrade** (another variant or fewer units, the amount falls) and **cancel**: take effect
  when the notice period ends (`terms.notice_ends_on`); a downgrade's fee is charged that day;
- **move** (a service delivered at an address): the new address from today, its fee today,
  refused with the reason where the service is not available there.

Whether a change is an upgrade or a downgrade is decided by the monthly amount (price in force
today times the quantity) before and after; a "downgrade" that raises it is refused naming `kind`.

At most one change per subscription waits for its day (a partial unique index). A new
upgrade, downgrade or cancellation while one waits replaces it only when the caller confirms
(`replace`); otherwise ReplaceNeeded says which change would be replaced. A waiting change can
be withdrawn until its day. `apply_due` (the scheduled job) applies due changes at the start of
their day in the organisation's time zone; each change moves from "scheduled" to "applied"
once, in the same transaction as its effects, so running the job twice changes nothing.
A cancellation sets the subscription's end day as soon as it is given, so every rule that asks
whether the subscription is in force on a day (AG-1, module rights) is right even before the
job has run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit, clock, db, events
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, current_locale, format_date, format_money, language_of
from src.core.tenancy import Actor, TenantScope
from src.subscriptions import repository
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import letters, ordering, pricing, terms
from src.subscriptions.services import subscriptions as subscriptions_service
from src.subscriptions.services.subscriptions import kind_name
from src.subscriptions.services.subscriptions import present_change as present
from src.subscriptions.tables import Service, ServiceVariant

KINDS = ("upgrade", "downgrade", "cancel", "move")
AUTO = "auto"  # the pages: an upgrade or a downgrade, whichever the new variant and quantity make it
FEE_OF = {"upgrade": "upgrade_fee_cents", "downgrade": "downgrade_fee_cents", "move": "move_fee_cents"}
COUNTRIES = ("NL", "SE")  # the organisations' countries, whose days the job waits for
# The scheduled job acts for every organisation.
SCHEDULER = Actor(person_id=0, name="scheduled changes", is_vendor_admin=True)


class ReplaceNeeded(Conflict):
    """A change waits already; the new one replaces it only when the caller confirms."""

    def __init__(self, message: str, waiting: dict[str, Any]) -> None:
        super().__init__(message)
        self.waiting = waiting


class SubscriptionEnded(Conflict):
    pass


class ChangeApplied(Conflict):
    pass


async def _variant(service_id: int, code: Any, current: dict[str, Any]) -> dict[str, Any]:
    if code in (None, "") or code == current["code"]:
        return current
    row = (
        await ServiceVariant.select()
        .where(ServiceVariant.service == service_id)
        .where(ServiceVariant.code == str(code).strip())
        .where(ServiceVariant.active.eq(True))
        .first()
    )
    if row is None:
        raise InputError({"variant": _("Choose a variant of this service.")})
    return row


def _wrong_kind(direction: str) -> InputError:
    if direction == "upgrade":
        message = _("This change raises the monthly amount: it is an upgrade.")
    else:
        message = _("This change lowers the monthly amount: it is a downgrade.")
    return InputError({"kind": message})


async def plan(
    actor: Actor,
    organisation_id: int,
    subscription_id: int,
    *,
    kind: Any,
    variant: Any = None,
    quantity: Any = None,
    address: Any = None,
    expected_monthly_price_cents: Any = None,
) -> dict[str, Any]:
    """What a change would do, stored nowhere: kind, status ("applied" | "scheduled"),
    effective day, fees, the monthly amount before and after, the change it would replace."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    organisation = await subscriptions_service.organisation_of(organisation_id)
    today = clock.today(organisation["country"])
    sub = await repository.subscription(scope, subscription_id)
    if sub["status"] != "active" or (sub["ends_on"] is not None and sub["ends_on"] <= today):
        raise SubscriptionEnded(_("This subscription has ended; it cannot be changed."))
    kind = str(kind or "").strip()
    if kind not in (*KINDS, AUTO):
        raise InputError({"kind": _("Choose upgrade, downgrade, cancel or move.")})
    service = await Service.select().where(Service.id == sub["service"]).first()
    current = await ServiceVariant.select().where(ServiceVariant.id == sub["variant"]).first()
    assert service is not None and current is not None
    target, new_quantity = current, int(sub["quantity"])
    new_address = {k: sub[k] for k in ordering.ADDRESS_FIELDS}
    notice_end = terms.notice_ends_on(today, int(current["notice_months"]))
    if kind in ("upgrade", "downgrade", AUTO):
        target = await _variant(service["id"], variant, current)
        if quantity not in (None, ""):
            new_quantity = subscriptions_service.parse_quantity(quantity)
        if target["id"] == current["id"] and new_quantity == sub["quantity"]:
            raise InputError({"kind": _("Choose another variant or another quantity: nothing would change.")})
        if expected_monthly_price_cents not in (None, ""):
            now_price = await pricing.price_on(target["id"], today)
            if str(expected_monthly_price_cents) != str(now_price):
                raise ordering.PriceChanged(
                    _(
                        "The price changed since it was shown to you: it is now %(price)s a month per unit. "
                        "Review the change again.",
                        price=format_money(now_price, target["currency"]),
                    )
                )
    before_cents = await pricing.price_on(current["id"], today) * int(sub["quantity"])
    after_cents = await pricing.price_on(target["id"], today) * new_quantity
    if kind in ("upgrade", "downgrade", AUTO):
        direction = terms.direction(before_cents, after_cents)
        if direction == "same":
            direction = "upgrade"  # another variant at the same amount: nothing to give notice of
        if kind == AUTO:
            kind = direction
        elif direction != kind:
            raise _wrong_kind(direction)
    if kind == "upgrade":
        effective = today if service["upgrade_any_time"] else notice_end
    elif kind == "downgrade":
        effective = notice_end if service["downgrade_with_notice"] else today
    elif kind == "cancel":
        effective = notice_end
        after_cents = 0
    else:  # move
        if not service["delivered_at_address"]:
            raise InputError({"kind": _("This service is not delivered at an address, so it cannot move.")})
        if address is None:
            raise InputError({"address": _("Give the new address: street, postcode and city.")})
        new_address = await ordering.delivery_address(service, current, organisation, address)
        effective = today
    effective = max(effective, sub["starts_on"])
    waiting = await repository.scheduled_change(scope, subscription_id) if kind != "move" else None
    # A waiting cancellation set the end day; the new change would replace it.
    ends_on = None if waiting is not None and waiting["kind"] == "cancel" else sub["ends_on"]
    if ends_on is not None and kind != "cancel" and effective >= ends_on:
        raise SubscriptionEnded(
            _(
                "This subscription ends on %(date)s, before the change would take effect.",
                date=format_date(ends_on),
            )
        )
    fee_column = FEE_OF.get(kind)
    fee = int(current[fee_column]) if fee_column else 0
    locale = current_locale.get()
    return {
        "subscription": sub,
        "organisation": organisation,
        "service": service,
        "kind": kind,
        "kind_name": kind_name(kind),
        "status": "applied" if effective <= today else "scheduled",
        "given_on": today,
        "effective_on": effective,
        "last_day": effective - dt.timedelta(days=1),
        "to_unit_price_cents": await pricing.price_on(target["id"], today),
        "fees": [{"kind": kind, "amount_cents": fee}] if fee else [],
        "from_variant": current,
        "to_variant": target,
        "from_variant_name": localised_name(current, locale),
        "to_variant_name": localised_name(target, locale),
        "from_quantity": int(sub["quantity"]),
        "to_quantity": new_quantity if kind != "cancel" else 0,
        "address": new_address,
        "currency": current["currency"],
        "monthly_before_cents": before_cents,
        "monthly_after_cents": after_cents,
        "replaces": present(waiting) if waiting else None,
    }


async def change(
    actor: Actor,
    organisation_id: int,
    subscription_id: int,
    *,
    kind: Any,
    variant: Any = None,
    quantity: Any = None,
    address: Any = None,
    replace: bool = False,
    expected_monthly_price_cents: Any = None,
) -> dict[str, Any]:
    """Give a change: applied at once or scheduled for its day. A change waiting already is
    replaced only with `replace` (ReplaceNeeded otherwise)."""
    p = await plan(
        actor,
        organisation_id,
        subscription_id,
        kind=kind,
        variant=variant,
        quantity=quantity,
        address=address,
        expected_monthly_price_cents=expected_monthly_price_cents,
    )
    scope = TenantScope(actor, organisation_id)
    async with db.transaction():
        waiting = await repository.scheduled_change(scope, subscription_id) if p["kind"] != "move" else None
        if waiting is not None:
            if not replace:
                raise ReplaceNeeded(
                    _(
                        "Another change is waiting already (%(kind)s on %(date)s); the new change "
                        "replaces it. Confirm to replace it.",
                        kind=kind_name(waiting["kind"]),
                        date=format_date(waiting["effective_on"]),
                    ),
                    present(waiting),
                )
            await _undo_waiting(scope, actor, waiting, "replaced")
        sub = p["subscription"]
        change_id = await repository.insert_change(
            scope,
            subscription_id,
            kind=p["kind"],
            status=p["status"],
            applied_at=clock.now() if p["status"] == "applied" else None,
            given_on=p["given_on"],
            effective_on=p["effective_on"],
            from_variant=p["from_variant"]["id"],
            to_variant=p["to_variant"]["id"],
            from_quantity=p["from_quantity"],
            to_quantity=p["to_quantity"],
            fees=p["fees"],
            created_by=actor.person_id or None,
            **p["address"],
        )
        if p["kind"] == "cancel":
            await repository.update_subscription(
                scope,
                subscription_id,
                ends_on=p["effective_on"],
                notice_given_on=p["given_on"],
                updated_at=clock.now(),
            )
        elif p["status"] == "scheduled":
            await repository.update_subscription(
                scope, subscription_id, notice_given_on=p["given_on"], updated_at=clock.now()
            )
        await audit.record(
            actor,
            f"subscriptions.change_{p['kind']}",
            organisation_id=organisation_id,
            object_type="subscription",
            object_id=subscription_id,
            before={
                "variant": p["from_variant"]["code"],
                "quantity": p["from_quantity"],
                "ends_on": sub["ends_on"],
            },
            after={
                "change": change_id,
                "variant": p["to_variant"]["code"],
                "quantity": p["to_quantity"],
                "effective_on": p["effective_on"],
                "fees": p["fees"],
                **({"address": p["address"]} if p["kind"] == "move" else {}),
            },
        )
        if p["status"] == "applied":
            await _take_effect(scope, actor, change_id)
        else:
            await _tell(actor, p["organisation"], change_id, "scheduled")
    return await get_change(actor, organisation_id, subscription_id, change_id)


async def _undo_waiting(scope: TenantScope, actor: Actor, waiting: dict[str, Any], status: str) -> None:
    moved = await repository.move_change(
        scope,
        waiting["id"],
        "scheduled",
        status,
        withdrawn_at=clock.now(),
        withdrawn_by=actor.person_id or None,
    )
    if not moved:
        raise ChangeApplied(_("This change has taken effect already; it can no longer be withdrawn."))
    await repository.update_subscription(
        scope,
        waiting["subscription"],
        notice_given_on=None,
        updated_at=clock.now(),
        **({"ends_on": None} if waiting["kind"] == "cancel" else {}),
    )


async def _apply(scope: TenantScope, actor: Actor, change_id: int) -> bool:
    """Apply a scheduled change once: False when another process applied (or someone withdrew) it."""
    if not await repository.move_change(scope, change_id, "scheduled", "applied", applied_at=clock.now()):
        return False
    await _take_effect(scope, actor, change_id)
    return True


async def _take_effect(scope: TenantScope, actor: Actor, change_id: int) -> None:
    """The effects of a change on its day: the subscription's new terms, its fee, the mails."""
    row = present(await repository.change_by_id(scope, change_id))
    sub_id = int(row["subscription"])
    now = clock.now()
    if row["kind"] == "cancel":
        await repository.update_subscription(
            scope, sub_id, status="ended", ended_by=row["created_by"], updated_at=now
        )
    elif row["kind"] == "move":
        await repository.update_subscription(
            scope, sub_id, street=row["street"], postcode=row["postcode"], city=row["city"], updated_at=now
        )
    else:
        price = await pricing.price_on(int(row["to_variant"]), row["effective_on"])
        await repository.update_subscription(
            scope,
            sub_id,
            variant=row["to_variant"],
            quantity=row["to_quantity"],
            price_cents=price,
            notice_given_on=None,
            updated_at=now,
        )
    organisation = await subscriptions_service.organisation_of(scope.organisation_id)
    token = current_locale.set(language_of(organisation["country"]))
    try:
        what = f"{kind_name(row['kind'])}: {localised_name(row, current_locale.get(), 'service_')}"
    finally:
        current_locale.reset(token)
    for fee in row["fees"]:
        await repository.insert_charge(
            scope.organisation_id,
            source_type="subscription_change",
            source_id=change_id,
            description=what,
            amount_cents=int(fee["amount_cents"]),
            currency=row["currency"],
            chargeable_on=row["effective_on"],
        )
    await _tell(actor, organisation, change_id, "applied")


async def _tell(actor: Actor, organisation: dict[str, Any], change_id: int, what: str) -> None:
    row = present(await repository.change_by_id(TenantScope(actor, int(organisation["id"])), change_id))

    def compose() -> tuple[str, list[str]]:
        locale = current_locale.get()
        service = localised_name(row, locale, "service_")
        kind = kind_name(row["kind"])
        if what == "scheduled":
            subject = _(
                "%(kind)s of %(service)s on %(date)s",
                kind=kind,
                service=service,
                date=format_date(row["effective_on"]),
            )
            first = _(
                "%(who)s changed %(service)s: %(kind)s, taking effect on %(date)s. Until then "
                "nothing changes, and the change can be withdrawn on the subscriptions page.",
                who=actor.name,
                kind=kind,
                service=service,
                date=format_date(row["effective_on"]),
            )
        elif what == "withdrawn":
            subject = _("%(kind)s of %(service)s withdrawn", kind=kind, service=service)
            first = _(
                "%(who)s withdrew a change of %(service)s: %(kind)s, which was to take effect on %(date)s.",
                who=actor.name,
                kind=kind,
                service=service,
                date=format_date(row["effective_on"]),
            )
        else:
            subject = _("%(kind)s of %(service)s in effect", kind=kind, service=service)
            first = _(
                "A change of %(service)s took effect on %(date)s: %(kind)s.",
                kind=kind,
                service=service,
                date=format_date(row["effective_on"]),
            )
        lines = [first]
        if row["kind"] in ("upgrade", "downgrade"):
            lines.append(
                _(
                    "From %(from)s × %(from_quantity)d to %(to)s × %(to_quantity)d.",
                    **{
                        "from": localised_name(row, locale, "from_variant_"),
                        "from_quantity": row["from_quantity"],
                        "to": localised_name(row, locale, "to_variant_"),
                        "to_quantity": row["to_quantity"],
                    },
                )
            )
        if row["kind"] == "move":
            lines.append(
                _("New address: %(address)s.", address=f"{row['street']}, {row['postcode']} {row['city']}")
            )
        for fee in row["fees"]:
            lines.append(
                _("One-time fee: %(amount)s.", amount=format_money(int(fee["amount_cents"]), row["currency"]))
            )
        lines.append(letters.subscriptions_url())
        return subject, lines

    await letters.tell_contact_persons(
        actor, organisation, f"subscription-change:{change_id}:{what}", compose
    )


async def withdraw(actor: Actor, organisation_id: int, subscription_id: int, change_id: int) -> None:
    """Withdraw a change waiting for its day (ChangeApplied once it took effect)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    async with db.transaction():
        row = await repository.change(scope, subscription_id, change_id)
        if row is None:
            raise NotFound()
        if row["status"] != "scheduled":
            raise ChangeApplied(
                _("This change has taken effect already; it can no longer be withdrawn.")
                if row["status"] == "applied"
                else _("This change was withdrawn already.")
            )
        await _undo_waiting(scope, actor, row, "withdrawn")
        await audit.record(
            actor,
            "subscriptions.change_withdrawn",
            organisation_id=organisation_id,
            object_type="subscription",
            object_id=subscription_id,
            before={"change": change_id, "kind": row["kind"], "effective_on": row["effective_on"]},
        )
        organisation = await subscriptions_service.organisation_of(organisation_id)
        await _tell(actor, organisation, change_id, "withdrawn")


async def get_change(
    actor: Actor, organisation_id: int, subscription_id: int, change_id: int
) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    row = await repository.change(scope, subscription_id, change_id)
    if row is None:
        raise NotFound()
    return present(row)


async def list_changes(actor: Actor, organisation_id: int, subscription_id: int) -> list[dict[str, Any]]:
    scope = TenantScope(actor, organisation_id)
    await repository.subscription(scope, subscription_id)
    return [present(r) for r in await repository.changes_of(scope, [subscription_id])]


async def apply_due() -> int:
    """Apply every scheduled change whose day has begun in its organisation's time zone (also
    days missed while the job did not run), each once; the number applied."""
    latest_today = max(clock.today(country) for country in COUNTRIES)
    applied = 0
    for due in await repository.due_changes(SCHEDULER, latest_today):
        if due["effective_on"] > clock.today(due["country"]):
            continue
        scope = TenantScope(SCHEDULER, int(due["organisation"]))
        async with db.transaction():
            if await _apply(scope, SCHEDULER, int(due["id"])):
                await audit.record(
                    SCHEDULER,
                    "subscriptions.change_applied",
                    organisation_id=int(due["organisation"]),
                    object_type="subscription",
                    object_id=int(due["subscription"]),
                    after={"change": int(due["id"]), "effective_on": due["effective_on"]},
                )
                await events.publish(
                    events.SUBSCRIPTION_CHANGED,
                    actor=SCHEDULER,
                    organisation_id=int(due["organisation"]),
                    subscription_id=int(due["subscription"]),
                )
                applied += 1
    return applied
