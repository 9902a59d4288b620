from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T07:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "At most one scheduled change per subscription."


class SubscriptionChange(Table, tablename="subscription_change"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="subscriptions", description=DESCRIPTION)

    async def one_scheduled_change():
        await SubscriptionChange.raw(
            "CREATE UNIQUE INDEX subscription_change_one_scheduled "
            "ON subscription_change (subscription) WHERE status = 'scheduled'"
        )

    manager.add_raw(one_scheduled_change)
    return manager
