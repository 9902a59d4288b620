"""Mail recorded before `sent_at` existed counted as sent: it stays so (confirmed at its claim).

Written by hand (raw SQL) after the column's own migration, because piccolo runs a migration's
raw steps before the columns it adds."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T16:20:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "sent mail recorded before confirmation existed counts as confirmed"


class SentMail(Table, tablename="sent_mail"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def confirm_earlier_mail():
        await SentMail.raw("UPDATE sent_mail SET sent_at = at WHERE sent_at IS NULL")

    manager.add_raw(confirm_earlier_mail)
    return manager
