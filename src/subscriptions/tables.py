"""The service catalogue, subscriptions, and what they cost.

Catalogue (rule SUB-1, MOD-1): a Service has modules (ServiceModule) and variants
(ServiceVariant, the thing priced and ordered). A Subscription is the real record of an
organisation using a variant of a service. Ordering, notice periods (SUB-3), price changes
(SUB-4) and billing are meant to live on these same tables: the subscription keeps the price it was
agreed at (`price_cents` + `currency`), and `notice_given_on` / `ends_on` carry a cancellation that
takes effect later. Billing turns pending charges into invoice lines.

The module rights of users (ModuleRight) are the tenant domain's table (src/tenants/tables.py),
but the subscriptions piccolo app creates and migrates it (src/subscriptions/piccolo_app.py): a
right references a ServiceModule of this app, so its migration must run after this app's.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
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
    created_by = ForeignKey(references=Person, null=True, default=None)
    ended_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
