"""API bearer tokens; the secret is kept only as a SHA-256 digest.

The person and the organisation are tables of the tenants domain, above this one in the layers:
they are named, not imported (resolved once every table is loaded)."""

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class ApiToken(Table, tablename="api_token"):
    id = Serial(primary_key=True)
    person: ForeignKey[Table] = ForeignKey(
        references=LazyTableReference("Person", module_path="src.tenants.tables"), index=True
    )
    organisation: ForeignKey[Table] = ForeignKey(
        references=LazyTableReference("Organisation", module_path="src.tenants.tables"),
        null=True,
        default=None,
    )
    name = Varchar(length=100, default="")
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
