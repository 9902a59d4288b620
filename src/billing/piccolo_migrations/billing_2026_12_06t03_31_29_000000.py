from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T03:31:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "One interest note per key (a unique index: SQLite cannot add a UNIQUE column)."


class Invoice(Table, tablename="invoice"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def one_note_per_key():
        await Invoice.raw("CREATE UNIQUE INDEX invoice_note_key ON invoice (note_key)")

    manager.add_raw(one_note_per_key)
    return manager
