from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:43:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "The same event never charges twice: one charge per source."


class Charge(Table, tablename="charge"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="subscriptions", description=DESCRIPTION)

    async def one_charge_per_source():
        await Charge.raw("CREATE UNIQUE INDEX charge_source ON charge (source_type, source_id)")

    manager.add_raw(one_charge_per_source)
    return manager
