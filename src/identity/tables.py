"""API bearer tokens; the secret is kept only as a SHA-256 digest."""

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Organisation, Person


class ApiToken(Table, tablename="api_token"):
    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, index=True)
    organisation = ForeignKey(references=Organisation, null=True, default=None)
    name = Varchar(length=100, default="")
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
