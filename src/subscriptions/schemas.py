"""API shapes for the catalogue and an organisation's subscriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class Names(msgspec.Struct):
    nl: str
    sv: str
    en: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> Names:
        return cls(nl=row["name_nl"], sv=row["name_sv"], en=row["name_en"])


class CatalogueModule(msgspec.Struct):
    """A module of a service (rule MOD-1); `has_signing_rights` for the contracting module (MOD-2)."""

    code: str
    name: str
    names: Names
    has_signing_rights: bool


class CatalogueVariant(msgspec.Struct):
    """A variant, priced in integer cents per `unit` per month (`one_time_price_cents` once)."""

    code: str
    name: str
    names: Names
    monthly_price_cents: int
    one_time_price_cents: int
    currency: str
    unit: str


class CatalogueService(msgspec.Struct):
    """A service. `requires_agreement`: using it needs a signed customer agreement and a
    subscription (rule AG-1); `eid_sole_proprietors_only`: personal e-ID sign-in is accepted
    only for sole proprietorships (rule AG-4)."""

    code: str
    name: str
    names: Names
    category: str
    requires_agreement: bool
    eid_sole_proprietors_only: bool
    modules: list[CatalogueModule]
    variants: list[CatalogueVariant]

    @classmethod
    def from_row(cls, s: dict[str, Any]) -> CatalogueService:
        return cls(
            code=s["code"],
            name=s["name"],
            names=Names.of(s),
            category=s["category"],
            requires_agreement=s["requires_agreement"],
            eid_sole_proprietors_only=s["eid_sole_proprietors_only"],
            modules=[
                CatalogueModule(
                    code=m["code"],
                    name=m["name"],
                    names=Names.of(m),
                    has_signing_rights=m["has_signing_rights"],
                )
                for m in s["modules"]
            ],
            variants=[
                CatalogueVariant(
                    code=v["code"],
                    name=v["name"],
                    names=Names.of(v),
                    monthly_price_cents=v["monthly_price_cents"],
                    one_time_price_cents=v["one_time_price_cents"],
                    currency=v["currency"],
                    unit=v["unit"],
                )
                for v in s["variants"]
            ],
        )


class NewSubscription(msgspec.Struct, forbid_unknown_fields=True):
    """Subscribe the organisation (vendor admins only): service and variant codes from
    `GET /api/v1/services`, a quantity of the variant's unit, and the first day (default today)."""

    service: str
    variant: str
    quantity: int = 1
    start: dt.date | None = None


class SubscriptionOut(msgspec.Struct):
    """A subscription. `status` "active" or "ended"; `in_force` says whether it counts today
    (from `starts_on`, until `ends_on`). The price agreed is kept on the subscription."""

    id: int
    organisation_id: int
    service: str
    service_name: str
    variant: str
    variant_name: str
    unit: str
    quantity: int
    status: str
    in_force: bool
    starts_on: dt.date
    ends_on: dt.date | None
    price_cents: int
    currency: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> SubscriptionOut:
        return cls(
            id=r["id"],
            organisation_id=r["organisation"],
            service=r["service_code"],
            service_name=r["service_name"],
            variant=r["variant_code"],
            variant_name=r["variant_name"],
            unit=r["unit"],
            quantity=r["quantity"],
            status=r["status"],
            in_force=r["in_force"],
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            price_cents=r["price_cents"],
            currency=r["currency"],
            created_at=r["created_at"],
        )


class NewPriceChange(msgspec.Struct, forbid_unknown_fields=True):
    """A new monthly price, in cents per unit, for a variant from `effective_on` on: at least
    four months after today (rule SUB-4), else 422 naming `effective_on` and the earliest day."""

    service: str
    variant: str
    monthly_price_cents: int
    effective_on: dt.date


class PriceChangeOut(msgspec.Struct):
    """A price change: announced on `announced_on`, in force from `effective_on`;
    `organisations_notified` is how many organisations' contact persons were told."""

    id: int
    service: str
    variant: str
    previous_price_cents: int
    monthly_price_cents: int
    currency: str
    announced_on: dt.date
    effective_on: dt.date
    organisations_notified: int

    @classmethod
    def from_row(cls, r: dict[str, Any], service: str = "", variant: str = "") -> PriceChangeOut:
        return cls(
            id=r["id"],
            service=r.get("service_code") or service,
            variant=r.get("variant_code") or variant,
            previous_price_cents=r["previous_price_cents"],
            monthly_price_cents=r["monthly_price_cents"],
            currency=r["currency"],
            announced_on=r["announced_on"],
            effective_on=r["effective_on"],
            organisations_notified=r["organisations_notified"],
        )
