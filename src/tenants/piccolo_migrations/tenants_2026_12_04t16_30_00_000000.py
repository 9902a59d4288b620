import logging

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Trigram indexes for finding people by part of their name or e-mail across organisations (PostgreSQL)."
)

log = logging.getLogger(__name__)

# The vendor admins' search looks for `name ILIKE '%…%' OR email ILIKE '%…%'` in every
# organisation's memberships: without these, every search reads the whole table.
INDEXES = {
    "membership_name_trgm": "name",
    "membership_email_trgm": "email",
}


class Membership(Table, tablename="membership"):
    pass


async def _may_use_trigrams() -> bool:
    rows = await Membership.raw(
        "SELECT installed_version IS NOT NULL AS installed, "
        "has_database_privilege(current_database(), 'CREATE') AS may_create "
        "FROM pg_available_extensions WHERE name = 'pg_trgm'"
    )
    if not rows:
        log.warning("pg_trgm is not available: the search for people stays without trigram indexes")
        return False
    if not rows[0]["installed"] and not rows[0]["may_create"]:
        log.warning(
            "no right to create the pg_trgm extension: the search for people stays without trigram indexes"
        )
        return False
    return True


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def create_indexes():
        if Membership._meta.db.engine_type != "postgres" or not await _may_use_trigrams():
            return
        await Membership.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in INDEXES.items():
            await Membership.raw(
                f"CREATE INDEX IF NOT EXISTS {name} ON membership USING gin ({column} gin_trgm_ops)"
            )

    async def drop_indexes():
        if Membership._meta.db.engine_type != "postgres":
            return
        for name in INDEXES:
            await Membership.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
