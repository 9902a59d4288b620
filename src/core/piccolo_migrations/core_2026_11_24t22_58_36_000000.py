"""Audit rows are append-only: the database itself refuses to change them.

Written by hand (raw SQL); no column changes.

- PostgreSQL: a row trigger raises on UPDATE *and* DELETE of `audit_entry`.
- SQLite: a trigger raises on UPDATE only.

Why DELETE is refused on PostgreSQL only: the test suite empties every table between
tests (tests/support.py). On PostgreSQL it uses TRUNCATE, which fires no row triggers,
so forbidding DELETE costs nothing there. On SQLite the only way to empty a table is
DELETE, so a DELETE trigger would make the test reset impossible; there the rule is kept
by code (only src/core/audit.py touches AuditEntry, and it only inserts — proved by
tests/dashboard/test_audit_append_only.py) and by the UPDATE trigger. Production runs
on PostgreSQL, where both are refused.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T22:58:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit rows are append-only (trigger)"

MESSAGE = "audit rows are append-only"

POSTGRES_FORWARDS = [
    f"""CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}';
    END
    $$""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
]
POSTGRES_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]
SQLITE_FORWARDS = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_BACKWARDS = ["DROP TRIGGER IF EXISTS audit_entry_no_update"]


async def _run(statements_by_engine: dict[str, list[str]]) -> None:
    engine = engine_finder()
    assert engine is not None
    for statement in statements_by_engine.get(engine.engine_type, []):
        await engine.run_ddl(statement)


async def _forwards() -> None:
    await _run({"postgres": POSTGRES_FORWARDS, "sqlite": SQLITE_FORWARDS})


async def _backwards() -> None:
    await _run({"postgres": POSTGRES_BACKWARDS, "sqlite": SQLITE_BACKWARDS})


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_raw(_forwards)
    manager.add_raw_backwards(_backwards)
    return manager
