from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "organisation.vat_number, billing_email, peppol_id: what invoices need to know about the customer."
)

COLUMNS = {"vat_number": 20, "billing_email": 254, "peppol_id": 64}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)
    for column, length in COLUMNS.items():
        manager.add_column(
            table_class_name="Organisation",
            tablename="organisation",
            column_name=column,
            db_column_name=column,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": length,
                "default": "",
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
