"""The vendor admins' catalogue editor (rule SUB-1): services and their variants are added,
changed, deactivated and reactivated here, each step with an audit row holding what changed.

Nothing is ever deleted: a deactivated service or variant is no longer offered for ordering,
and every subscription to it stays as it is. The monthly price of a variant somebody subscribes
to, or ever did, is never edited here: a new price is announced ahead (SUB-4,
`pricing.schedule`); a variant nobody ever subscribed to may have its price set directly. The
code of a service or variant is what the API and other records name it by, so it can be changed
only while nothing refers to it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.support import LazyProxy

from src.core import audit, db
from src.core.errors import InputError, NotFound
from src.core.i18n import N_, _
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions import catalogue as seed
from src.subscriptions import repository
from src.subscriptions.tables import PriceChange, Service, ServiceVariant

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
AMOUNT = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")
MAX_CENTS = 100_000_000  # EUR 1,000,000: beyond that it is a typing error
MAX_POSITION = 10_000
MAX_NOTICE_MONTHS = 24

# The codes the portal's rules name (agreements, certificates, areas): never renamed.
RESERVED_CODES = frozenset(
    {seed.PROCUREMENT_PORTAL, seed.WEBCERT, seed.UZI_SERVER_CERTIFICATE, seed.AREA_SERVICE}
)

CATEGORIES: dict[str, LazyProxy] = {"healthcare": N_("Healthcare"), "managed_it": N_("Managed IT")}
# What a variant's quantity counts (the units of the catalogue, src/subscriptions/catalogue.py).
UNITS: dict[str, LazyProxy] = {
    "subscription": N_("per organisation"),
    "user": N_("per user"),
    "device": N_("per device"),
    "workplace": N_("per workplace"),
    "number": N_("per phone number"),
    "connection": N_("per connection"),
    "domain": N_("per domain"),
    "certificate": N_("per certificate"),
}
TAX_CATEGORIES: dict[str, LazyProxy] = {
    "standard": N_("Standard rate"),
    "exempt": N_("Exempt"),
    "zero": N_("Zero rate"),
}
CURRENCIES = ("EUR", "SEK")

SERVICE_FLAGS = ("requires_agreement", "delivered_at_address", "upgrade_any_time", "downgrade_with_notice")
SERVICE_FIELDS = ("code", "name_nl", "name_sv", "name_en", "category", *SERVICE_FLAGS, "position")
MONEY_FIELDS = ("monthly_price_cents", "upgrade_fee_cents", "downgrade_fee_cents", "move_fee_cents")
VARIANT_FIELDS = (
    "code",
    "name_nl",
    "name_sv",
    "name_en",
    "unit",
    *MONEY_FIELDS,
    "currency",
    "tax_category",
    "notice_months",
    "position",
)


# --- reading and writing the forms' values ----------------------------------------------------


def euros(cents: int) -> str:
    """Cents as the form shows them: 1250 -> "12.50"."""
    return f"{cents // 100}.{cents % 100:02d}"


def parse_amount(value: Any, field: str) -> int:
    """An amount typed in euros (or kronor) with at most two decimals, "12,50" or "12.50", as cents."""
    text = str(value or "").strip().replace(" ", "").replace("\u00a0", "").lstrip("€")
    if not AMOUNT.match(text):
        raise InputError({field: _("Give an amount such as 12.50, with at most two decimals.")})
    try:
        cents = int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise InputError({field: _("Give an amount such as 12.50, with at most two decimals.")}) from None
    if cents > MAX_CENTS:
        raise InputError({field: _("Give an amount between 0 and 1,000,000.")})
    return cents


def _whole(value: Any, field: str, top: int) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= top:
        raise InputError({field: _("Give a whole number from 0 to %(max)d.", max=top)})
    return int(text)


def _names(values: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    names = {}
    for field in ("name_nl", "name_sv", "name_en"):
        text = str(values.get(field) or "").strip()
        if not text:
            errors[field] = _("Give the name in this language.")
        elif len(text) > 200 or "\x00" in text:
            errors[field] = _("Give a name of at most 200 characters.")
        names[field] = text
    return names


def _code(values: dict[str, Any], errors: dict[str, str]) -> str:
    code = str(values.get("code") or "").strip()
    if not CODE.match(code):
        errors["code"] = _(
            "Give a code of lower-case letters, digits and underscores, starting with a letter (at most 40)."
        )
    return code


def _choice(values: dict[str, Any], field: str, allowed: Any, errors: dict[str, str]) -> str:
    value = str(values.get(field) or "").strip()
    if value not in allowed:
        errors[field] = _("Choose one of the list.")
    return value


def _collect(errors: dict[str, str], field: str, parse: Any) -> Any:
    try:
        return parse()
    except InputError as exc:
        errors.update({field: exc.errors.get(field) or next(iter(exc.errors.values()))})
        return None


def clean_service(values: dict[str, Any]) -> dict[str, Any]:
    """A service's fields from the form (checkboxes: present means yes); InputError naming each
    bad field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {"code": _code(values, errors), **_names(values, errors)}
    cleaned["category"] = _choice(values, "category", CATEGORIES, errors)
    for flag in SERVICE_FLAGS:
        cleaned[flag] = str(values.get(flag) or "") in ("on", "true", "1", "yes")
    cleaned["position"] = _collect(
        errors, "position", lambda: _whole(values.get("position") or "0", "position", MAX_POSITION)
    )
    if errors:
        raise InputError(errors)
    return cleaned


def clean_variant(values: dict[str, Any], *, price_required: bool = True) -> dict[str, Any]:
    """A variant's fields from the form, money as cents; without `price_required` a missing
    monthly price is left out (it is not on the form)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {"code": _code(values, errors), **_names(values, errors)}
    cleaned["unit"] = _choice(values, "unit", UNITS, errors)
    cleaned["currency"] = _choice(values, "currency", CURRENCIES, errors)
    cleaned["tax_category"] = _choice(values, "tax_category", TAX_CATEGORIES, errors)
    for field in MONEY_FIELDS:
        given = values.get(field.removesuffix("_cents"))
        if field == "monthly_price_cents" and not price_required and given is None:
            continue
        if field != "monthly_price_cents" and not str(given or "").strip():
            given = "0"
        cleaned[field] = _collect(errors, field, lambda g=given, f=field: parse_amount(g, f))
    cleaned["notice_months"] = _collect(
        errors,
        "notice_months",
        lambda: _whole(values.get("notice_months"), "notice_months", MAX_NOTICE_MONTHS),
    )
    cleaned["position"] = _collect(
        errors, "position", lambda: _whole(values.get("position") or "0", "position", MAX_POSITION)
    )
    if errors:
        # The form names the money fields without "_cents".
        raise InputError({k.removesuffix("_cents"): v for k, v in errors.items()})
    return cleaned


def service_values(row: dict[str, Any]) -> dict[str, str]:
    """A service as the form shows it."""
    values = {f: str(row[f]) for f in ("code", "name_nl", "name_sv", "name_en", "category", "position")}
    values.update({f: "on" for f in SERVICE_FLAGS if row[f]})
    return values


def variant_values(row: dict[str, Any]) -> dict[str, str]:
    """A variant as the form shows it (money in euros)."""
    plain = ("code", "name_nl", "name_sv", "name_en", "unit", "currency", "tax_category", "notice_months")
    values = {f: str(row[f]) for f in (*plain, "position")}
    values.update({f.removesuffix("_cents"): euros(int(row[f])) for f in MONEY_FIELDS})
    return values


# --- services ---------------------------------------------------------------------------------


async def get_service(service_id: int) -> dict[str, Any]:
    row = await Service.select().where(Service.id == service_id).first()
    if row is None:
        raise NotFound()
    return row


async def get_variant(variant_id: int) -> dict[str, Any]:
    row = await (
        ServiceVariant.select(
            *ServiceVariant.all_columns(), ServiceVariant.service.code.as_alias("service_code")
        )
        .where(ServiceVariant.id == variant_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


async def add_service(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    cleaned = clean_service(values)
    async with db.transaction():
        if await Service.exists().where(Service.code == cleaned["code"]):
            raise InputError({"code": _("Another service has this code already.")})
        created = await Service.insert(Service(**cleaned)).returning(*Service.all_columns())
        row = created[0]
        await audit.record(
            actor,
            "subscriptions.service_added",
            organisation_id=None,
            object_type="service",
            object_id=row["id"],
            after=cleaned,
        )
    return row


async def change_service(actor: Actor, service_id: int, values: dict[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    cleaned = clean_service(values)
    async with db.transaction():
        current = await get_service(service_id)
        if cleaned["code"] != current["code"]:
            if current["code"] in RESERVED_CODES or await repository.service_ever_subscribed(
                actor, service_id
            ):
                raise InputError({"code": _("The code of a service in use cannot be changed.")})
            if await Service.exists().where(Service.code == cleaned["code"]):
                raise InputError({"code": _("Another service has this code already.")})
        before, after = audit.changes(current, cleaned)
        if after:
            await Service.update(dict[Any, Any](cleaned)).where(Service.id == service_id)
            await audit.record(
                actor,
                "subscriptions.service_changed",
                organisation_id=None,
                object_type="service",
                object_id=service_id,
                before=before,
                after=after,
            )
    return await get_service(service_id)


async def set_service_active(actor: Actor, service_id: int, active: bool) -> dict[str, Any]:
    """Deactivate a service (no longer offered; its subscriptions stay) or offer it again."""
    require_vendor_admin(actor)
    async with db.transaction():
        current = await get_service(service_id)
        if bool(current["active"]) != active:
            await Service.update({Service.active: active}).where(Service.id == service_id)
            await audit.record(
                actor,
                "subscriptions.service_reactivated" if active else "subscriptions.service_deactivated",
                organisation_id=None,
                object_type="service",
                object_id=service_id,
                before={"active": not active},
                after={"active": active},
            )
    return await get_service(service_id)


# --- variants ---------------------------------------------------------------------------------


async def _code_taken(service_id: int, code: str, variant_id: int = 0) -> bool:
    return bool(
        await ServiceVariant.exists()
        .where(ServiceVariant.service == service_id)
        .where(ServiceVariant.code == code)
        .where(ServiceVariant.id != variant_id)
    )


async def add_variant(actor: Actor, service_id: int, values: dict[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    cleaned = clean_variant(values)
    async with db.transaction():
        await get_service(service_id)
        if await _code_taken(service_id, cleaned["code"]):
            raise InputError({"code": _("Another variant of this service has this code already.")})
        created = await ServiceVariant.insert(ServiceVariant(service=service_id, **cleaned)).returning(
            ServiceVariant.id
        )
        variant_id = int(created[0]["id"])
        await audit.record(
            actor,
            "subscriptions.variant_added",
            organisation_id=None,
            object_type="service_variant",
            object_id=variant_id,
            after={"service": service_id, **cleaned},
        )
    return await get_variant(variant_id)


async def price_is_editable(actor: Actor, variant_id: int) -> bool:
    """Whether the monthly price may be set directly: nobody subscribes to the variant or ever
    did, and no new price has been announced for it."""
    if await PriceChange.exists().where(PriceChange.variant == variant_id):
        return False
    return not await repository.variant_ever_subscribed(actor, variant_id)


async def change_variant(actor: Actor, variant_id: int, values: dict[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    editable = await price_is_editable(actor, variant_id)
    cleaned = clean_variant(values, price_required=editable)
    async with db.transaction():
        current = await get_variant(variant_id)
        price = cleaned.get("monthly_price_cents", current["monthly_price_cents"])
        if price != current["monthly_price_cents"] and not editable:
            raise InputError(
                {
                    "monthly_price": _(
                        "Organisations subscribe to this variant: announce a new price on the "
                        "price changes page instead."
                    )
                }
            )
        if cleaned["code"] != current["code"]:
            if not editable:
                raise InputError({"code": _("The code of a variant in use cannot be changed.")})
            if await _code_taken(current["service"], cleaned["code"], variant_id):
                raise InputError({"code": _("Another variant of this service has this code already.")})
        before, after = audit.changes(current, cleaned)
        if after:
            await ServiceVariant.update(dict[Any, Any](cleaned)).where(ServiceVariant.id == variant_id)
            await audit.record(
                actor,
                "subscriptions.variant_changed",
                organisation_id=None,
                object_type="service_variant",
                object_id=variant_id,
                before=before,
                after=after,
            )
    return await get_variant(variant_id)


async def set_variant_active(actor: Actor, variant_id: int, active: bool) -> dict[str, Any]:
    """Deactivate a variant (no longer offered; its subscriptions stay) or offer it again."""
    require_vendor_admin(actor)
    async with db.transaction():
        current = await get_variant(variant_id)
        if bool(current["active"]) != active:
            await ServiceVariant.update({ServiceVariant.active: active}).where(
                ServiceVariant.id == variant_id
            )
            await audit.record(
                actor,
                "subscriptions.variant_reactivated" if active else "subscriptions.variant_deactivated",
                organisation_id=None,
                object_type="service_variant",
                object_id=variant_id,
                before={"active": not active},
                after={"active": active},
            )
    return await get_variant(variant_id)
