"""The history of a service or variant of the catalogue, from the audit rows written for it:
when, by whom, what was done, and each changed field from its old value to its new one, in the
reader's language (the same labels the audit log shows)."""

from __future__ import annotations

import re
from typing import Any

from babel.support import LazyProxy

from src.core.i18n import N_, _, format_money
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.services.catalogue_admin import CATEGORIES, MONEY_FIELDS, TAX_CATEGORIES, UNITS

ACTIONS: dict[str, LazyProxy] = {
    "subscriptions.service_seeded": N_("Service added to the catalogue"),
    "subscriptions.service_added": N_("Service added"),
    "subscriptions.service_changed": N_("Service changed"),
    "subscriptions.service_deactivated": N_("Service deactivated"),
    "subscriptions.service_reactivated": N_("Service reactivated"),
    "subscriptions.variant_added": N_("Variant added"),
    "subscriptions.variant_changed": N_("Variant changed"),
    "subscriptions.variant_deactivated": N_("Variant deactivated"),
    "subscriptions.variant_reactivated": N_("Variant reactivated"),
}

FIELDS: dict[str, LazyProxy] = {
    "code": N_("Code"),
    "name_nl": N_("Name in Dutch"),
    "name_sv": N_("Name in Swedish"),
    "name_en": N_("Name in English"),
    "category": N_("Category"),
    "requires_agreement": N_("Requires an agreement"),
    "delivered_at_address": N_("Delivered at an address"),
    "upgrade_any_time": N_("Upgrades at any time"),
    "downgrade_with_notice": N_("Downgrades with notice"),
    "position": N_("Position"),
    "active": N_("Active"),
    "unit": N_("Unit"),
    "monthly_price_cents": N_("Monthly price"),
    "upgrade_fee_cents": N_("Upgrade fee"),
    "downgrade_fee_cents": N_("Downgrade fee"),
    "move_fee_cents": N_("Move fee"),
    "currency": N_("Currency"),
    "tax_category": N_("Tax category"),
    "notice_months": N_("Notice (months)"),
}
HIDDEN = frozenset({"service"})
SYSTEM_ACTORS: dict[str, LazyProxy] = {"catalogue seed": N_("Service catalogue"), "system": N_("The portal")}
_NUMBERED = re.compile(r" \(#\d+\)$")


def _actor(label: str) -> str:
    """Who acted, without their person number; the portal's own actors by their label."""
    name = _NUMBERED.sub("", label or "")
    return str(SYSTEM_ACTORS[name]) if name in SYSTEM_ACTORS else name


def _value(field: str, value: Any, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field in MONEY_FIELDS:
        return format_money(int(value), currency)
    for labels in (CATEGORIES, UNITS, TAX_CATEGORIES):
        if field in ("category", "unit", "tax_category") and value in labels:
            return str(labels[value])
    return str(value)


def present(row: dict[str, Any], currency: str = "EUR") -> dict[str, Any]:
    """An audit row as the history shows it: `action` in words, `changes` as `field`, `old`,
    `new` with values in words (`old` is None for a new object)."""
    before = row.get("before") or {}
    after = row.get("after") or {}
    currency = str(after.get("currency") or before.get("currency") or currency)
    changes = [
        {
            "field": str(FIELDS[field]) if field in FIELDS else field,
            "old": _value(field, before[field], currency) if field in before else None,
            "new": _value(field, value, currency),
            "code": field == "code",  # written in no language: marked so on the page
        }
        for field, value in after.items()
        if field not in HIDDEN
    ]
    label = ACTIONS.get(row["action"])
    return {
        "at": row["at"],
        "actor": _actor(row["actor_label"]),
        "action": str(label) if label is not None else row["action"],
        "changes": changes,
    }


async def history(
    actor: Actor, object_type: str, object_id: int, currency: str = "EUR"
) -> list[dict[str, Any]]:
    """The object's history, newest first."""
    require_vendor_admin(actor)
    return [present(r, currency) for r in await repository.audit_history(actor, object_type, object_id)]
