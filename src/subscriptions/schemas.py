"""API shapes for the catalogue and an organisation's subscriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

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


TaxCategory = Literal["standard", "exempt", "zero"]
ChangeKind = Literal["upgrade", "downgrade", "cancel", "move"]
FeeKind = Literal["upgrade", "downgrade", "move"]


class OneTimeFees(msgspec.Struct, omit_defaults=True):
    """One-time fees in cents by kind of change (rule SUB-5); an absent kind costs nothing."""

    upgrade: int | None = None
    downgrade: int | None = None
    move: int | None = None


class CatalogueVariant(msgspec.Struct):
    """A variant, priced in integer cents per `unit` per month (`one_time_price_cents` once per
    unit when ordered). `monthly_price_cents` is the price in force today; `notice_months` the
    notice period of downgrades and cancellations (SUB-3)."""

    code: str
    name: str
    names: Names
    monthly_price_cents: int
    one_time_price_cents: int
    currency: str
    unit: str
    tax_category: TaxCategory
    notice_months: int
    one_time_fees: OneTimeFees


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
                    monthly_price_cents=v["price_today_cents"],
                    one_time_price_cents=v["one_time_price_cents"],
                    currency=v["currency"],
                    unit=v["unit"],
                    tax_category=v["tax_category"],
                    notice_months=v["notice_months"],
                    one_time_fees=OneTimeFees(
                        upgrade=v["upgrade_fee_cents"] or None,
                        downgrade=v["downgrade_fee_cents"] or None,
                        move=v["move_fee_cents"] or None,
                    ),
                )
                for v in s["variants"]
            ],
        )


class Address(msgspec.Struct, forbid_unknown_fields=True):
    street: str
    postcode: str
    city: str


class NewSubscription(msgspec.Struct, forbid_unknown_fields=True):
    """Order a subscription: service and variant codes from `GET /api/v1/services`, a quantity
    of the variant's unit, the first day (default today; only vendor admins give a past day),
    and for a service delivered at an address (business internet) the `address` (default the
    organisation's postal address). `expected_monthly_price_cents`: the unit price you were
    shown; when the price changed since, the order is refused with 409 (rule SUB-6).
    `preview`: answer what the order would be (200), store nothing."""

    service: str
    variant: str
    quantity: int = 1
    start: dt.date | None = None
    address: Address | None = None
    expected_monthly_price_cents: int | None = None
    preview: bool = False


class Fee(msgspec.Struct):
    kind: FeeKind
    amount_cents: int


class OrderPreview(msgspec.Struct):
    """What an order would be: the unit price and the monthly amount (excluding VAT, the VAT and
    the total; `vat_rate_percent` null when the VAT is reverse-charged), the price once per unit
    delivered (a certificate when it is issued), the first day, the notice period and the day of
    the first invoice (invoiced monthly in arrears)."""

    service: str
    variant: str
    quantity: int
    starts_on: dt.date
    monthly_price_cents: int
    monthly_amount_cents: int
    vat_rate_percent: float | None
    vat_cents: int
    monthly_total_cents: int
    currency: str
    once_per_unit_cents: int
    notice_months: int
    notice_terms: str
    first_invoice_on: dt.date

    @classmethod
    def from_quote(cls, q: dict[str, Any]) -> OrderPreview:
        rate = q["vat_basis_points"]
        return cls(
            service=q["service"]["code"],
            variant=q["variant"]["code"],
            quantity=q["quantity"],
            starts_on=q["starts_on"],
            monthly_price_cents=q["unit_price_cents"],
            monthly_amount_cents=q["monthly"]["net_cents"],
            vat_rate_percent=None if rate is None else rate / 100,
            vat_cents=q["monthly"]["vat_cents"],
            monthly_total_cents=q["monthly"]["gross_cents"],
            currency=q["currency"],
            once_per_unit_cents=q["once_per_unit_cents"],
            notice_months=q["notice_months"],
            notice_terms=q["notice_terms"],
            first_invoice_on=q["first_invoice_on"],
        )


class SubscriptionOut(msgspec.Struct):
    """A subscription. `status` "active", "ended" or "awaiting_security" (ordered by an
    organisation asked for security: it starts once its advance invoice is paid); `in_force` says
    whether it counts today (from `starts_on`, until `ends_on`: a cancellation under notice sets
    `ends_on` when given).
    `monthly_price_cents`: the unit price in force today; `monthly_amount_cents` that times the
    quantity; `price_cents`: the unit price when it was ordered."""

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
    monthly_price_cents: int
    monthly_amount_cents: int
    currency: str
    address: Address | None
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
            monthly_price_cents=r["unit_price_cents"],
            monthly_amount_cents=r["monthly_cents"],
            currency=r["currency"],
            address=Address(street=r["street"], postcode=r["postcode"], city=r["city"])
            if r["postcode"]
            else None,
            created_at=r["created_at"],
        )


class NewChange(msgspec.Struct, forbid_unknown_fields=True):
    """A change of a subscription. `kind`: `upgrade` (takes effect today, rule SUB-2),
    `downgrade` or `cancel` (when the notice period ends, SUB-3), `move` (a new `address`,
    SUB-5). For upgrade and downgrade give `variant` (another variant of the same service) and/or
    `quantity`. `preview`: answer what would happen (200), store nothing. `replace`: confirm that
    this change replaces the one waiting (otherwise 409 naming it).
    `expected_monthly_price_cents`: the new variant's unit price you were shown (SUB-6)."""

    kind: ChangeKind
    variant: str | None = None
    quantity: int | None = None
    address: Address | None = None
    preview: bool = False
    replace: bool = False
    expected_monthly_price_cents: int | None = None


class ChangeOut(msgspec.Struct):
    """A change: `status` "applied" (in effect from `effective_on`), "scheduled" (waits for
    `effective_on`), "withdrawn" or "replaced". `id` is null in a preview, where `replaces` names
    the waiting change this one would replace."""

    id: int | None
    kind: ChangeKind
    status: Literal["applied", "scheduled", "withdrawn", "replaced"]
    given_on: dt.date
    effective_on: dt.date
    from_variant: str
    to_variant: str
    from_quantity: int
    to_quantity: int
    fees: list[Fee]
    monthly_amount_before_cents: int | None = None
    monthly_amount_after_cents: int | None = None
    replaces: int | None = None

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> ChangeOut:
        return cls(
            id=r["id"],
            kind=r["kind"],
            status=r["status"],
            given_on=r["given_on"],
            effective_on=r["effective_on"],
            from_variant=r["from_variant_code"] or "",
            to_variant=r["to_variant_code"] or "",
            from_quantity=r["from_quantity"],
            to_quantity=r["to_quantity"],
            fees=[Fee(kind=f["kind"], amount_cents=f["amount_cents"]) for f in (r["fees"] or [])],
        )

    @classmethod
    def from_plan(cls, p: dict[str, Any]) -> ChangeOut:
        return cls(
            id=None,
            kind=p["kind"],
            status=p["status"],
            given_on=p["given_on"],
            effective_on=p["effective_on"],
            from_variant=p["from_variant"]["code"],
            to_variant=p["to_variant"]["code"],
            from_quantity=p["from_quantity"],
            to_quantity=p["to_quantity"],
            fees=[Fee(kind=f["kind"], amount_cents=f["amount_cents"]) for f in p["fees"]],
            monthly_amount_before_cents=p["monthly_before_cents"],
            monthly_amount_after_cents=p["monthly_after_cents"],
            replaces=p["replaces"]["id"] if p["replaces"] else None,
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
