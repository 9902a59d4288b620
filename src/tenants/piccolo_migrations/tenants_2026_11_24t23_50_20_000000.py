from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:50:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "One agreement document per kind and version."


class AgreementDocument(Table, tablename="agreement_document"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def one_version_per_kind():
        await AgreementDocument.raw(
            "CREATE UNIQUE INDEX agreement_document_version ON agreement_document (kind, version)"
        )

    manager.add_raw(one_version_per_kind)
    return manager
