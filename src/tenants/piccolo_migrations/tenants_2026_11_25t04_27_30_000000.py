from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T04:27:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation_tally kept by triggers: organisations per country, legal form and status."

# Each change of an organisation moves it between tally rows in the same transaction, so the
# tally is exact whenever the organisations are: a rolled-back insert is not counted.
POSTGRES = [
    """CREATE UNIQUE INDEX IF NOT EXISTS organisation_tally_key
       ON organisation_tally (country, legal_form, status)""",
    """CREATE OR REPLACE FUNCTION organisation_tally_keep() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM organisation_tally;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE organisation_tally SET organisations = organisations - 1
             WHERE country = OLD.country AND legal_form = OLD.legal_form AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO organisation_tally (country, legal_form, status, organisations)
            VALUES (NEW.country, NEW.legal_form, NEW.status, 1)
            ON CONFLICT (country, legal_form, status)
            DO UPDATE SET organisations = organisation_tally.organisations + 1;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER organisation_tally_insert_delete AFTER INSERT OR DELETE ON organisation
       FOR EACH ROW EXECUTE FUNCTION organisation_tally_keep()""",
    """CREATE TRIGGER organisation_tally_update AFTER UPDATE OF country, legal_form, status
       ON organisation FOR EACH ROW
       WHEN (OLD.country IS DISTINCT FROM NEW.country OR OLD.legal_form IS DISTINCT FROM NEW.legal_form
             OR OLD.status IS DISTINCT FROM NEW.status)
       EXECUTE FUNCTION organisation_tally_keep()""",
    """CREATE TRIGGER organisation_tally_truncate AFTER TRUNCATE ON organisation
       FOR EACH STATEMENT EXECUTE FUNCTION organisation_tally_keep()""",
]

_SQLITE_ADD = """INSERT INTO organisation_tally (country, legal_form, status, organisations)
            VALUES (NEW.country, NEW.legal_form, NEW.status, 1)
            ON CONFLICT (country, legal_form, status) DO UPDATE SET organisations = organisations + 1;"""
_SQLITE_REMOVE = """UPDATE organisation_tally SET organisations = organisations - 1
             WHERE country = OLD.country AND legal_form = OLD.legal_form AND status = OLD.status;"""
SQLITE = [
    """CREATE UNIQUE INDEX IF NOT EXISTS organisation_tally_key
       ON organisation_tally (country, legal_form, status)""",
    f"""CREATE TRIGGER organisation_tally_insert AFTER INSERT ON organisation
        BEGIN {_SQLITE_ADD} END""",
    f"""CREATE TRIGGER organisation_tally_delete AFTER DELETE ON organisation
        BEGIN {_SQLITE_REMOVE} END""",
    f"""CREATE TRIGGER organisation_tally_update AFTER UPDATE OF country, legal_form, status
        ON organisation
        WHEN OLD.country IS NOT NEW.country OR OLD.legal_form IS NOT NEW.legal_form
             OR OLD.status IS NOT NEW.status
        BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END""",
]

FILL = """INSERT INTO organisation_tally (country, legal_form, status, organisations)
          SELECT country, legal_form, status, count(*) FROM organisation
          GROUP BY country, legal_form, status"""

TRIGGERS = [
    "organisation_tally_insert_delete",
    "organisation_tally_insert",
    "organisation_tally_delete",
    "organisation_tally_update",
    "organisation_tally_truncate",
]


class Organisation(Table, tablename="organisation"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def keep_tally():
        postgres = Organisation._meta.db.engine_type == "postgres"
        await Organisation.raw("DELETE FROM organisation_tally")
        for statement in POSTGRES if postgres else SQLITE:
            await Organisation.raw(statement)
        await Organisation.raw(FILL)

    async def stop_keeping_tally():
        postgres = Organisation._meta.db.engine_type == "postgres"
        for trigger in TRIGGERS:
            await Organisation.raw(
                f"DROP TRIGGER IF EXISTS {trigger} ON organisation"
                if postgres
                else f"DROP TRIGGER IF EXISTS {trigger}"
            )
        if postgres:
            await Organisation.raw("DROP FUNCTION IF EXISTS organisation_tally_keep()")
        await Organisation.raw("DROP INDEX IF EXISTS organisation_tally_key")

    manager.add_raw(keep_tally)
    manager.add_raw_backwards(stop_keeping_tally)
    return manager
