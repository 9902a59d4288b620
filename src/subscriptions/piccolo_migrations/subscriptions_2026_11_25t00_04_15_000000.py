from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T00:04:15:000000"
VERSION = "1.38.0"
DESCRIPTION = "One right per user and module."


class ModuleRight(Table, tablename="module_right"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="subscriptions", description=DESCRIPTION)

    async def one_right_per_module():
        await ModuleRight.raw(
            "CREATE UNIQUE INDEX module_right_member_module ON module_right (membership, module)"
        )

    manager.add_raw(one_right_per_module)
    return manager
