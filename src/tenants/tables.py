"""Organisations (the tenants), people and their memberships."""

from piccolo.columns import Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.column_types import Text
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table, tablename="organisation"):
    id = Serial(primary_key=True)
    name = Varchar(length=200, index=True)
    country = Varchar(length=2, index=True)  # "NL" | "SE"
    legal_form = Varchar(length=40, index=True)
    kvk_number = Varchar(length=8, null=True, default=None, unique=True)
    agb_code = Varchar(length=8, null=True, default=None)
    org_number = Varchar(length=12, null=True, default=None, unique=True)
    billing_address = Text(default="")
    postal_address = Text(default="")
    status = Varchar(length=20, default="active", index=True)  # "active" | "suspended"
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Person(Table, tablename="person"):
    """A human being, matched at sign-in on a personal identity number or a card id."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    email = Varchar(length=254, default="")
    personal_identity_number = Varchar(length=32, null=True, default=None, unique=True)
    card_id = Varchar(length=64, null=True, default=None, unique=True)
    is_vendor_admin = Boolean(default=False, index=True)
    locale = Varchar(length=5, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    """A person as a user of one organisation, with the e-mail registered there (rule MOD-3)."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    person = ForeignKey(references=Person, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254)
    role = Varchar(length=20, default="end_user")  # "contact_person" | "end_user"
    active = Boolean(default=True)
    invited_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
