import logging

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Trigram indexes for searching organisations by part of a name or number (PostgreSQL)."

log = logging.getLogger(__name__)

# The organisations list searches with `name ILIKE '%…%'` and `… LIKE '%…%'` on the numbers:
# without these, every search reads the whole table.
INDEXES = {
    "organisation_name_trgm": "name",
    "organisation_kvk_number_trgm": "kvk_number",
    "organisation_agb_code_trgm": "agb_code",
    "organisation_org_number_trgm": "org_number",
}


class Organisation(Table, tablename="organisation"):
    pass


async def _may_use_trigrams() -> bool:
    rows = await Organisation.raw(
        "SELECT installed_version IS NOT NULL AS installed, "
        "has_database_privilege(current_database(), 'CREATE') AS may_create "
        "FROM pg_available_extensions WHERE name = 'pg_trgm'"
    )
    if not rows:
        log.warning("pg_trgm is not available: organisation search stays without trigram indexes")
        return False
    if not rows[0]["installed"] and not rows[0]["may_create"]:
        log.warning(
            "no right to create the pg_trgm extension: organisation search stays without trigram indexes"
        )
        return False
    return True


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def create_indexes():
        if Organisation._meta.db.engine_type != "postgres" or not await _may_use_trigrams():
            return
        await Organisation.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in INDEXES.items():
            await Organisation.raw(
                f"CREATE INDEX IF NOT EXISTS {name} ON organisation USING gin ({column} gin_trgm_ops)"
            )

    async def drop_indexes():
        if Organisation._meta.db.engine_type != "postgres":
            return
        for name in INDEXES:
            await Organisation.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
