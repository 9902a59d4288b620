from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T22:47:27:766979"
VERSION = "1.38.0"
DESCRIPTION = "A person is a user of an organisation at most once."


class Membership(Table, tablename="membership"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def unique_membership():
        await Membership.raw(
            "CREATE UNIQUE INDEX membership_organisation_person ON membership (organisation, person)"
        )

    manager.add_raw(unique_membership)
    return manager
