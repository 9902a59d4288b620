"""Legacy-terms announcements get an end date of their own (`ends_on`, the former computed
`deadline`, so existing rows keep their deadline), can be corrected (`revision`) and withdrawn
(`withdrawn_at`), and a service may have several over time (history): `service_code` is no longer
unique, only indexed; the notice period in months is no longer stored.

PostgreSQL runs the operations below as piccolo writes them. SQLite cannot drop a UNIQUE
constraint in place, so there the table is rebuilt by hand with the same result."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T02:47:28:352387"
VERSION = "1.38.0"
DESCRIPTION = "legacy terms announcements: ends_on, corrections, withdrawal"

SQLITE_REBUILD = [
    """CREATE TABLE "legacy_terms_notice_new" ("id" INTEGER PRIMARY KEY NOT NULL,
    "service_code" VARCHAR(40) NOT NULL DEFAULT '', "announced_on" DATE NOT NULL DEFAULT CURRENT_DATE,
    "ends_on" DATE NOT NULL DEFAULT CURRENT_DATE, "revision" INTEGER NOT NULL DEFAULT 0,
    "withdrawn_at" TIMESTAMPTZ DEFAULT null,
    "created_by" INTEGER REFERENCES "person" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)""",
    'INSERT INTO "legacy_terms_notice_new" (id, service_code, announced_on, ends_on, created_by, created_at) '
    'SELECT id, service_code, announced_on, deadline, created_by, created_at FROM "legacy_terms_notice"',
    'DROP TABLE "legacy_terms_notice"',
    'ALTER TABLE "legacy_terms_notice_new" RENAME TO "legacy_terms_notice"',
    'CREATE INDEX "legacy_terms_notice_service_code" ON "legacy_terms_notice" ("service_code")',
]


class _Manager(MigrationManager):
    async def run(self, backwards: bool = False) -> None:
        engine = engine_finder()
        if engine is None or engine.engine_type != "sqlite" or backwards:
            await super().run(backwards=backwards)
            return
        async with engine.transaction():
            for statement in SQLITE_REBUILD:
                await engine.run_ddl(statement)


async def forwards():
    manager = _Manager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    manager.drop_column(
        table_class_name="LegacyTermsNotice",
        tablename="legacy_terms_notice",
        column_name="notice_months",
        db_column_name="notice_months",
        schema=None,
    )

    manager.add_column(
        table_class_name="LegacyTermsNotice",
        tablename="legacy_terms_notice",
        column_name="revision",
        db_column_name="revision",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="LegacyTermsNotice",
        tablename="legacy_terms_notice",
        column_name="withdrawn_at",
        db_column_name="withdrawn_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
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

    manager.rename_column(
        table_class_name="LegacyTermsNotice",
        tablename="legacy_terms_notice",
        old_column_name="deadline",
        new_column_name="ends_on",
        old_db_column_name="deadline",
        new_db_column_name="ends_on",
        schema=None,
    )

    manager.alter_column(
        table_class_name="LegacyTermsNotice",
        tablename="legacy_terms_notice",
        column_name="service_code",
        db_column_name="service_code",
        params={"unique": False, "index": True},
        old_params={"unique": True, "index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
