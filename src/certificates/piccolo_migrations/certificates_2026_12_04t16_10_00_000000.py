from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Stored certificate names name every attribute (serialNumber=, not 2.5.4.5=)."

# The attributes src.certificates.pki.NAMED_ATTRIBUTES names, as they were stored before.
NAMES = {
    "2.5.4.5=": "serialNumber=",
    "2.5.4.97=": "organizationIdentifier=",
    "2.5.4.42=": "givenName=",
    "2.5.4.4=": "surname=",
    "2.5.4.12=": "title=",
    "1.2.840.113549.1.9.1=": "emailAddress=",
}


class Certificate(Table, tablename="certificate"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="certificates", description=DESCRIPTION)

    async def name_attributes():
        for number, name in NAMES.items():
            await Certificate.raw(
                "UPDATE certificate SET subject_dn = REPLACE(subject_dn, {}, {})", number, name
            )
            await Certificate.raw(
                "UPDATE certificate_authority SET subject_dn = REPLACE(subject_dn, {}, {})", number, name
            )

    manager.add_raw(name_attributes)
    return manager
