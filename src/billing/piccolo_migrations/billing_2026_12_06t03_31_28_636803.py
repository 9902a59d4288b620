from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Invoice(Table, tablename="invoice"):
    pass


ID = "2026-12-06T03:31:28:636803"
VERSION = "1.38.0"
DESCRIPTION = "Interest notes: their kind, the invoice they are for, their days and key."


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="interest_from",
        db_column_name="interest_from",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="interest_of",
        db_column_name="interest_of",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": "self",
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="interest_to",
        db_column_name="interest_to",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="note_key",
        db_column_name="note_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": None,
            "null": True,
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

    manager.alter_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="kind",
        db_column_name="kind",
        params={"length": 16},
        old_params={"length": 12},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
