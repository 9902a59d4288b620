"""Subscriptions and what they cost. Billing turns pending charges into invoice lines."""

from piccolo.columns import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.column_types import Date
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Organisation


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
