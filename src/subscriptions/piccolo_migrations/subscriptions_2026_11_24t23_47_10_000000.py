from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:47:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "A module and a variant code are unique within their service."


class ServiceModule(Table, tablename="service_module"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="subscriptions", description=DESCRIPTION)

    async def unique_codes():
        await ServiceModule.raw("CREATE UNIQUE INDEX service_module_code ON service_module (service, code)")
        await ServiceModule.raw("CREATE UNIQUE INDEX service_variant_code ON service_variant (service, code)")

    manager.add_raw(unique_codes)
    return manager
