"""Ordering a service (rules AG-1, AG-8, SUB-1, SUB-5, SUB-6).

A contact person of an organisation with a signed customer agreement orders a variant of a
service in a quantity of its unit; a vendor admin records a subscription on the organisation's
behalf, also from a day in the past. Ordering is two steps: `quote` says, before anything is
stored, what the order costs and means (the monthly amount with VAT, the one-time fee, the first
day, the notice terms, the day of the first invoice); `order` stores it. The price a quote showed
is the price ordered: when the variant's price changed in between, `order` refuses with
PriceChanged (SUB-6) instead of taking another price.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from src.core import audit, clock, db, events
from src.core.errors import Conflict, InputError
from src.core.i18n import _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.subscriptions import repository
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import areas, letters, pricing, terms
from src.subscriptions.services import subscriptions as subscriptions_service
from src.subscriptions.tables import Service, ServiceVariant
from src.tenants.services.agreements import has_valid_agreement

MAX_DAYS_AHEAD = 366  # an order starts within a year
ADDRESS_FIELDS = ("street", "postcode", "city")
# "Lindelaan 12\n3581 KD Utrecht": the line with the postcode, and the street line before it.
POSTCODE_LINE = {
    "NL": re.compile(r"^\s*(\d{4}\s?[A-Za-z]{2})\s+(.+?)\s*$"),
    "SE": re.compile(r"^\s*(\d{3}\s?\d{2})\s+(.+?)\s*$"),
}


class AgreementMissing(Conflict):
    """Ordering needs a signed customer agreement (AG-1, AG-8)."""


class PriceChanged(Conflict):
    """The price shown in the confirmation step is no longer the price (SUB-6)."""


async def offer(service: Any, variant: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The active service and variant named by their codes (InputError naming the field)."""
    service_row = await Service.select().where(Service.code == str(service or "").strip()).first()
    if service_row is None or not service_row["active"]:
        raise InputError({"service": _("Choose a service of the catalogue.")})
    variant_row = (
        await ServiceVariant.select()
        .where(ServiceVariant.service == service_row["id"])
        .where(ServiceVariant.code == str(variant or "").strip())
        .where(ServiceVariant.active.eq(True))
        .first()
    )
    if variant_row is None:
        raise InputError({"variant": _("Choose a variant of this service.")})
    return service_row, variant_row


def postal_address(organisation: dict[str, Any]) -> dict[str, str]:
    """The street, postcode and city of the organisation's postal address, as far as they can be
    read from it (empty strings otherwise)."""
    pattern = POSTCODE_LINE.get(organisation.get("country") or "", POSTCODE_LINE["NL"])
    lines = [line.strip() for line in (organisation.get("postal_address") or "").splitlines() if line.strip()]
    for index, line in enumerate(lines):
        found = pattern.match(line)
        if found:
            street = lines[index - 1] if index else ""
            return {"street": street, "postcode": found.group(1).upper(), "city": found.group(2)}
    return {"street": "", "postcode": "", "city": ""}


def clean_address(value: Any) -> dict[str, str]:
    """An address given as {street, postcode, city}: each a short text."""
    if not isinstance(value, dict):
        raise InputError({"address": _("Give the address as street, postcode and city.")})
    cleaned = {k: str(value.get(k) or "").strip() for k in ADDRESS_FIELDS}
    errors = {
        f"address.{k}": _("Fill in the street, postcode and city of the address.")
        for k in ADDRESS_FIELDS
        if not cleaned[k]
    }
    limits = {"street": 200, "postcode": 12, "city": 100}
    errors.update(
        {f"address.{k}": _("This is too long.") for k in ADDRESS_FIELDS if len(cleaned[k]) > limits[k]}
    )
    if errors:
        raise InputError(errors)
    return cleaned


async def delivery_address(
    service: dict[str, Any], variant: dict[str, Any], organisation: dict[str, Any], address: Any
) -> dict[str, str]:
    """Where a service delivered at an address goes (SUB-5): the address given, else the
    organisation's postal address; refused with the reason where it is not available."""
    if not service["delivered_at_address"]:
        return {k: "" for k in ADDRESS_FIELDS}
    if address is None:
        chosen = postal_address(organisation)
        if not all(chosen.values()):
            raise InputError(
                {
                    "address": _(
                        "Give the address where the service is to be delivered: street, postcode and city."
                    )
                }
            )
    else:
        chosen = clean_address(address)
    reason = await areas.unavailable_reason(
        service, variant["id"], organisation["country"], chosen["postcode"]
    )
    if reason:
        raise InputError({"address.postcode": reason})
    return chosen


def parse_start(actor: Actor, value: Any, today: dt.date) -> dt.date:
    if value in (None, ""):
        return today
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        start = value
    else:
        try:
            start = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError({"start": _("Enter a date as YYYY-MM-DD.")}) from None
    if start < today and not actor.is_vendor_admin:
        raise InputError({"start": _("A subscription starts today or later.")})
    if start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InputError({"start": _("A subscription starts within a year.")})
    return start


def notice_terms(service: dict[str, Any], variant: dict[str, Any]) -> str:
    months = int(variant["notice_months"])
    if service["downgrade_with_notice"] and months:
        notice = _(
            "Downgrades, fewer units and cancellations take effect %(months)d months after you give "
            "them, on the same day of the month (or the month's last day when it is shorter).",
            months=months,
        )
    else:
        notice = _("Downgrades, fewer units and cancellations take effect on the day you give them.")
    if service["upgrade_any_time"]:
        return notice + " " + _("Upgrades and more units take effect at once.")
    return notice + " " + _("Upgrades take effect after the same notice period.")


def amounts(unit_price_cents: int, quantity: int, vat_basis_points: int | None) -> dict[str, Any]:
    net = terms.monthly_amount(unit_price_cents, quantity)
    vat = terms.vat_cents(net, vat_basis_points)
    return {"net_cents": net, "vat_cents": vat, "gross_cents": net + vat}


def vat_label(basis_points: int | None) -> str:
    if basis_points is None:
        return _("VAT reverse-charged")
    if basis_points == 0:
        return _("no VAT")
    percent = f"{basis_points / 100:g}"
    return _("VAT %(percent)s %%", percent=percent)


async def quote(
    actor: Actor,
    organisation_id: int,
    *,
    service: Any,
    variant: Any,
    quantity: Any = 1,
    start: Any = None,
    address: Any = None,
) -> dict[str, Any]:
    """What an order would be, before anything is stored: the confirmation step's content."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    organisation = await subscriptions_service.organisation_of(organisation_id)
    today = clock.today(organisation["country"])
    errors: dict[str, str] = {}
    service_row: dict[str, Any] | None = None
    variant_row: dict[str, Any] | None = None
    cleaned: dict[str, Any] = {}
    try:
        service_row, variant_row = await offer(service, variant)
    except InputError as exc:
        errors.update(exc.errors)
    for field, check in (
        ("quantity", lambda: subscriptions_service.parse_quantity(quantity)),
        ("start", lambda: parse_start(actor, start, today)),
    ):
        try:
            cleaned[field] = check()
        except InputError as exc:
            errors.update(exc.errors)
    if not errors and service_row is not None and variant_row is not None:
        try:
            cleaned["address"] = await delivery_address(service_row, variant_row, organisation, address)
        except InputError as exc:
            errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    assert service_row is not None and variant_row is not None
    locale = current_locale.get()
    unit_price = await pricing.price_on(variant_row["id"], cleaned["start"])
    rate = terms.vat_basis_points(
        variant_row["tax_category"],
        get_settings().vendor_country,
        organisation["country"],
        organisation.get("vat_number") or "",
    )
    return {
        "organisation": organisation,
        "service": service_row,
        "variant": variant_row,
        "service_name": localised_name(service_row, locale),
        "variant_name": localised_name(variant_row, locale),
        "quantity": cleaned["quantity"],
        "starts_on": cleaned["start"],
        "address": cleaned["address"],
        "unit_price_cents": unit_price,
        "currency": variant_row["currency"],
        "monthly": amounts(unit_price, cleaned["quantity"], rate),
        "vat_basis_points": rate,
        "vat_label": vat_label(rate),
        # Charged per unit delivered, by the domain that delivers it (a certificate when it is
        # issued, rule BIL-1), never when ordering.
        "once_per_unit_cents": int(variant_row["one_time_price_cents"]),
        "unit": variant_row["unit"],
        "notice_months": int(variant_row["notice_months"]),
        "notice_terms": notice_terms(service_row, variant_row),
        "first_invoice_on": terms.first_invoice_on(cleaned["start"]),
    }


async def order(
    actor: Actor,
    organisation_id: int,
    *,
    service: Any,
    variant: Any,
    quantity: Any = 1,
    start: Any = None,
    address: Any = None,
    expected_monthly_price_cents: Any = None,
) -> dict[str, Any]:
    """Order (contact person, with a signed agreement) or record (vendor admin) a subscription.
    `expected_monthly_price_cents`: the unit price the confirmation step showed (SUB-6)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    if not actor.is_vendor_admin and not await has_valid_agreement(actor, organisation_id):
        raise AgreementMissing(
            _(
                "Your organisation has not signed the customer agreement. Sign it on the agreement "
                "page first; then you can order services."
            )
        )
    offer_ = await quote(
        actor,
        organisation_id,
        service=service,
        variant=variant,
        quantity=quantity,
        start=start,
        address=address,
    )
    if expected_monthly_price_cents not in (None, "") and str(expected_monthly_price_cents) != str(
        offer_["unit_price_cents"]
    ):
        raise PriceChanged(
            _(
                "The price changed since it was shown to you: it is now %(price)s a month per unit. "
                "Review the order again.",
                price=format_money(offer_["unit_price_cents"], offer_["currency"]),
            )
        )
    service_row, variant_row = offer_["service"], offer_["variant"]
    start_day: dt.date = offer_["starts_on"]
    # BIL-11: an organisation asked for security orders, but the order waits for its advance.
    waits = bool(offer_["organisation"].get("requires_security"))
    async with db.transaction():
        current = await repository.active_of_variant(scope, variant_row["id"])
        if any(r["ends_on"] is None or r["ends_on"] > start_day for r in current):
            raise InputError(
                {
                    "variant": _(
                        "The organisation already has this subscription; end it first or change that one."
                    )
                }
            )
        now = clock.now()
        subscription_id = await repository.insert_subscription(
            scope,
            service=service_row["id"],
            variant=variant_row["id"],
            quantity=offer_["quantity"],
            status=repository.AWAITING_SECURITY if waits else "active",
            starts_on=start_day,
            price_cents=offer_["unit_price_cents"],
            currency=offer_["currency"],
            created_by=actor.person_id or None,
            created_at=now,
            updated_at=now,
            **offer_["address"],
        )
        await audit.record(
            actor,
            "subscriptions.subscription_added",
            organisation_id=organisation_id,
            object_type="subscription",
            object_id=subscription_id,
            after={
                "service": service_row["code"],
                "variant": variant_row["code"],
                "quantity": offer_["quantity"],
                "starts_on": start_day,
                "price_cents": offer_["unit_price_cents"],
                "currency": offer_["currency"],
                **({"address": offer_["address"]} if service_row["delivered_at_address"] else {}),
                **({"status": repository.AWAITING_SECURITY} if waits else {}),
            },
        )
        if waits:
            await events.publish(
                events.ORDER_AWAITING_SECURITY,
                actor=actor,
                organisation=offer_["organisation"],
                subscription_id=subscription_id,
                service=service_row,
                variant=variant_row,
                quantity=offer_["quantity"],
                unit_price_cents=offer_["unit_price_cents"],
                currency=offer_["currency"],
                starts_on=start_day,
                vat_basis_points=offer_["vat_basis_points"],
            )
        else:
            await _confirm(actor, offer_, subscription_id)
            await events.publish(
                events.SUBSCRIPTION_CHANGED,
                actor=actor,
                organisation_id=organisation_id,
                subscription_id=subscription_id,
            )
        return await subscriptions_service.get_subscription(actor, organisation_id, subscription_id)


async def _confirm(actor: Actor, offer_: dict[str, Any], subscription_id: int) -> None:
    """The order's confirmation to the organisation's contact persons (in its language)."""
    service_row, variant_row = offer_["service"], offer_["variant"]

    def compose() -> tuple[str, list[str]]:
        locale = current_locale.get()
        name = f"{localised_name(service_row, locale)}: {localised_name(variant_row, locale)}"
        rate = offer_["vat_basis_points"]
        monthly = offer_["monthly"]
        lines = [
            _(
                "%(who)s ordered %(name)s, %(quantity)d × %(price)s a month, from %(date)s.",
                who=actor.name,
                name=name,
                quantity=offer_["quantity"],
                price=format_money(offer_["unit_price_cents"], offer_["currency"]),
                date=format_date(offer_["starts_on"]),
            ),
            _(
                "Monthly amount: %(net)s excluding VAT (%(vat)s: %(vat_amount)s).",
                net=format_money(monthly["net_cents"], offer_["currency"]),
                vat=vat_label(rate),
                vat_amount=format_money(monthly["vat_cents"], offer_["currency"]),
            ),
            *(
                [
                    _(
                        "Once per unit delivered: %(amount)s.",
                        amount=format_money(offer_["once_per_unit_cents"], offer_["currency"]),
                    )
                ]
                if offer_["once_per_unit_cents"]
                else []
            ),
            notice_terms(service_row, variant_row),
            _("The first invoice follows on %(date)s.", date=format_date(offer_["first_invoice_on"])),
            letters.subscriptions_url(),
        ]
        return _("Order confirmed: %(name)s", name=name), lines

    await letters.tell_contact_persons(actor, offer_["organisation"], f"order:{subscription_id}", compose)
