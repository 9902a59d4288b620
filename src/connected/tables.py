"""Connected services: the clients of the vendor's services that run elsewhere (Webcert, the care
procurement portal, ...) and ask the portal what their users may do, and the module events they
sent.

A client's token is kept only as its SHA-256 digest, as API tokens are (src/identity/tables.py);
its prefix is kept to recognise it in lists. `service_code` names a catalogue service (no foreign
key, as the tenants domain names them)."""

from piccolo.columns import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Organisation, Person


class ServiceClient(Table, tablename="service_client"):
    id = Serial(primary_key=True)
    service_code = Varchar(length=40, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    webhook_url = Varchar(length=500, default="")
    # The secret webhooks are signed with (HMAC-SHA256), sealed (src/core/sealing.py): signing
    # needs it in the clear, so it cannot be kept as a digest like the token.
    webhook_secret = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(references=Person, null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(references=Person, null=True, default=None)


class ModuleEvent(Table, tablename="module_event"):
    """An event of a module a service sent to the module's users of an organisation (rule MOD-6).
    `dedupe_key` is "<service>:<event id>" and unique: the same event sends once, however often
    and however concurrently it arrives."""

    id = Serial(primary_key=True)
    client = ForeignKey(references=ServiceClient, index=True)
    organisation = ForeignKey(references=Organisation, index=True)
    dedupe_key = Varchar(length=150, unique=True)
    module_code = Varchar(length=40)
    subject = Varchar(length=200)
    recipients = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
