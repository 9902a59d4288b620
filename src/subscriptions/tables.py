"""The service catalogue, subscriptions, and what they cost.

Catalogue (rule SUB-1, MOD-1): a Service has modules (ServiceModule) and variants
(ServiceVariant, the thing priced and ordered). A Subscription is the real record of an
organisation using a variant of a service. Ordering, notice periods (SUB-3), price changes
(SUB-4) and billing are meant to live on these same tables: the subscription keeps the price it was
agreed at (`price_cents` + `currency`), and `notice_given_on` / `ends_on` carry a cancellation that
takes effect later. Billing makes invoice lines of pending charges.

The module rights of users (ModuleRight) are the tenant domain's table (src/tenants/tables.py),
but the subscriptions piccolo app creates and migrates it (src/subscriptions/piccolo_app.py): a
right references a ServiceModule of this app, so its migration must run after this app's.
"""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.column_types import Date
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Organisation, Person


class Charge(Table, tablename="charge"):
    """Something an organisation (or a third party paying for it, rule BIL-4) owes, from the
    day it becomes chargeable. Money in integer cents. `(source_type, source_id)` is unique,
    so the same event never charges twice."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    source_type = Varchar(length=40)  # e.g. "certificate"
    source_id = Integer()
    description = Varchar(length=300)
    amount_cents = Integer()
    currency = Varchar(length=3, default="EUR")
    payer_kind = Varchar(length=20, default="organisation")  # "organisation" | "third_party"
    payer_name = Varchar(length=200, default="")
    chargeable_on = Date(index=True)
    status = Varchar(length=12, default="pending", index=True)  # "pending" | "invoiced" | "cancelled"
    created_at = Timestamptz(default=TimestamptzNow())


class Service(Table, tablename="service"):
    """A service of the catalogue (rule SUB-1).

    `requires_agreement`: using it needs a signed customer agreement and a subscription (AG-1).
    `eid_sole_proprietors_only`: personal e-ID sign-in only for sole proprietorships (AG-4)."""

    id = Serial(primary_key=True)
    code = Varchar(length=40, unique=True)
    category = Varchar(length=20, default="managed_it")  # "healthcare" | "managed_it"
    name_nl = Varchar(length=200)
    name_sv = Varchar(length=200)
    name_en = Varchar(length=200)
    requires_agreement = Boolean(default=True)
    eid_sole_proprietors_only = Boolean(default=False)
    # Delivered at an address (business internet): ordered and moved only where a ServiceArea
    # says it is available (SUB-5).
    delivered_at_address = Boolean(default=False)
    # The terms of 004 §4 as data (SUB-2, SUB-3): upgrades at any moment, downgrades and
    # cancellations under notice.
    upgrade_any_time = Boolean(default=True)
    downgrade_with_notice = Boolean(default=True)
    position = Integer(default=0)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ServiceModule(Table, tablename="service_module"):
    """A module of a service; rights are given per user per module (rule MOD-1). A module with
    `has_signing_rights` (the procurement portal's contracting module) also carries signing
    rights (rule MOD-2)."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True)
    code = Varchar(length=40)
    name_nl = Varchar(length=200)
    name_sv = Varchar(length=200)
    name_en = Varchar(length=200)
    has_signing_rights = Boolean(default=False)
    position = Integer(default=0)


class ServiceVariant(Table, tablename="service_variant"):
    """What is ordered and priced: a variant of a service. Money in integer cents.
    `unit` is what the quantity counts ("subscription", "user", "device", "workplace",
    "number", "certificate"); `one_time_price_cents` is charged once per unit."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True)
    code = Varchar(length=60)
    name_nl = Varchar(length=200)
    name_sv = Varchar(length=200)
    name_en = Varchar(length=200)
    monthly_price_cents = Integer(default=0)
    one_time_price_cents = Integer(default=0)
    currency = Varchar(length=3, default="EUR")
    unit = Varchar(length=20, default="subscription")
    tax_category = Varchar(length=10, default="standard")  # "standard" | "exempt" | "zero"
    notice_months = Integer(default=3)  # SUB-3
    # One-time fees per kind of change, in cents (SUB-5: business internet 7500 / 7200 / 15000).
    upgrade_fee_cents = Integer(default=0)
    downgrade_fee_cents = Integer(default=0)
    move_fee_cents = Integer(default=0)
    position = Integer(default=0)
    active = Boolean(default=True)


class Subscription(Table, tablename="subscription"):
    """An organisation's subscription to a variant of a service.

    status: "active" (from `starts_on`; a start in the future is still "active" but not yet in
    force), "ended" (from `ends_on`). Later: "ordered", "notice_given". The price agreed is kept
    on the row, so a later price change (SUB-4) is a new, dated fact, never a rewrite."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    service = ForeignKey(references=Service, index=True)
    variant = ForeignKey(references=ServiceVariant, index=True)
    quantity = Integer(default=1)
    status = Varchar(length=20, default="active", index=True)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    notice_given_on = Date(null=True, default=None)
    price_cents = Integer(default=0)
    currency = Varchar(length=3, default="EUR")
    # Where a service delivered at an address is delivered (SUB-5).
    street = Varchar(length=200, default="")
    postcode = Varchar(length=12, default="")
    city = Varchar(length=100, default="")
    created_by = ForeignKey(references=Person, null=True, default=None)
    ended_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # The last day its advance invoice paid for (rule BIL-11: an order that waited for security);
    # the monthly invoices bill it from the day after.
    paid_in_advance_until = Date(null=True, default=None)


class SubscriptionChange(Table, tablename="subscription_change"):
    """A change of a subscription: an upgrade (applied the day it is given, SUB-2), a downgrade,
    fewer units or a cancellation (scheduled for the end of the notice period, SUB-3), or a move
    (SUB-5). At most one change per subscription is scheduled at a time (a partial unique index);
    a scheduled change can be withdrawn until it takes effect, and the scheduled job applies it
    at the start of its day in the organisation's time zone, once.

    status: "scheduled" -> "applied", or "withdrawn" / "replaced". `fees`: a list of
    {"kind", "amount_cents"} charged when the change takes effect."""

    id = Serial(primary_key=True)
    subscription = ForeignKey(references=Subscription, index=True)
    kind = Varchar(length=10)  # "upgrade" | "downgrade" | "cancel" | "move"
    status = Varchar(length=10, default="scheduled", index=True)
    given_on = Date()
    effective_on = Date(index=True)
    from_variant = ForeignKey(references=ServiceVariant, null=True, default=None)
    to_variant = ForeignKey(references=ServiceVariant, null=True, default=None)
    from_quantity = Integer(default=1)
    to_quantity = Integer(default=1)
    street = Varchar(length=200, default="")
    postcode = Varchar(length=12, default="")
    city = Varchar(length=100, default="")
    fees = JSON(default="[]")
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = ForeignKey(references=Person, null=True, default=None)


class PriceChange(Table, tablename="price_change"):
    """A new monthly price for a variant from a day on (SUB-4): announced at least four months
    before `effective_on`. The price in force on a day is the latest change effective on or
    before it, else the variant's `monthly_price_cents`; invoices use the price of each day."""

    id = Serial(primary_key=True)
    variant = ForeignKey(references=ServiceVariant, index=True)
    monthly_price_cents = Integer()
    previous_price_cents = Integer()
    currency = Varchar(length=3, default="EUR")
    announced_on = Date()
    effective_on = Date(index=True)
    organisations_notified = Integer(default=0)
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ServiceArea(Table, tablename="service_area"):
    """Where a service delivered at an address is available (SUB-5): postcodes of a country
    beginning with `postcode_prefix` (spaces removed, upper case), for one variant or, without
    one, for every variant of the service. The vendor maintains the list."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True)
    variant = ForeignKey(references=ServiceVariant, null=True, default=None)
    country = Varchar(length=2, default="NL")
    postcode_prefix = Varchar(length=12)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
