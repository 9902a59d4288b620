from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T15:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "A person is a user of an organisation at most once; invitations waiting for acceptance do not count."
)

# An organisation may invite by a personal identity number and by a card id that turn out to be
# one person's: refusing the second would tell it that they belong together. Accepting one
# removes the others.


class Membership(Table, tablename="membership"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def accepted_only():
        await Membership.raw("DROP INDEX membership_organisation_person")
        await Membership.raw(
            "CREATE UNIQUE INDEX membership_organisation_person ON membership (organisation, person) "
            "WHERE NOT pending"
        )

    async def every_membership():
        await Membership.raw("DROP INDEX membership_organisation_person")
        await Membership.raw(
            "CREATE UNIQUE INDEX membership_organisation_person ON membership (organisation, person)"
        )

    manager.add_raw(accepted_only)
    manager.add_raw_backwards(every_membership)
    return manager
