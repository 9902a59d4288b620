from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:15:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes for the organisations list: by name (case-insensitive), country, registration."

INDEXES = {
    "organisation_lower_name_id": "(lower(name), id)",
    "organisation_country_lower_name_id": "(country, lower(name), id)",
    "organisation_created_at_id": "(created_at, id)",
}


class Organisation(Table, tablename="organisation"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def create_indexes():
        for name, columns in INDEXES.items():
            await Organisation.raw(f"CREATE INDEX IF NOT EXISTS {name} ON organisation {columns}")

    async def drop_indexes():
        for name in INDEXES:
            await Organisation.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
