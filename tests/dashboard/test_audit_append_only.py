"""Audit rows are only ever inserted: no code path changes or removes them, and the
database refuses it too (UPDATE on both engines; DELETE on PostgreSQL, see the migration
core_2026_11_24t22_58_36_000000 for why SQLite keeps DELETE for the test reset)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from src.core import audit, db
from src.core.tables import AuditEntry
from src.core.tenancy import Actor

SRC = Path(__file__).resolve().parents[2] / "src"
WRITER = SRC / "core" / "audit.py"

# Anything that could write audit_entry through piccolo, named on the table class.
TABLE_WRITE = re.compile(
    r"(?<!class )\bAuditEntry\s*(?:\.\s*(?:insert|update|delete|objects|raw|alter|create_table)\b|\()"
)
# ... or through SQL text.
SQL_WRITE = re.compile(
    r"\b(?:update|delete\s+from|insert\s+into|truncate(?:\s+table)?)\s+\"?audit_entry\b", re.I
)


def _python_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "piccolo_migrations" not in p.parts]


def test_only_the_audit_module_writes_audit_rows_and_it_only_inserts():
    offenders = []
    for path in _python_files():
        text = path.read_text()
        for match in TABLE_WRITE.finditer(text):
            allowed = path == WRITER and re.match(r"AuditEntry\s*(\.\s*insert\b|\()", match.group(0))
            if not allowed:
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(SRC.parent)}:{line}: {match.group(0)}")
        for match in SQL_WRITE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(SRC.parent)}:{line}: {match.group(0)}")
    assert offenders == [], "audit rows are append-only; only src/core/audit.py inserts them"


def test_the_audit_module_neither_updates_nor_deletes():
    text = WRITER.read_text()
    assert ".update(" not in text and ".delete(" not in text and ".remove(" not in text
    assert "AuditEntry.insert(" in text


def test_the_scan_would_catch_an_offender():
    assert TABLE_WRITE.search("await AuditEntry.update({AuditEntry.action: 'x'})")
    assert TABLE_WRITE.search("await AuditEntry.delete(force=True)")
    assert SQL_WRITE.search('await AuditEntry.raw("DELETE FROM audit_entry")')
    assert SQL_WRITE.search("UPDATE audit_entry SET action = 'x'")
    assert not TABLE_WRITE.search("await AuditEntry.select().where(AuditEntry.action == 'x')")


async def _one_row() -> int:
    async with db.transaction():
        await audit.record(Actor(person_id=1, name="Ann"), "test.kept", organisation_id=None, after={"a": 1})
    row = await AuditEntry.select(AuditEntry.id).first()
    assert row is not None
    return int(row["id"])


async def test_the_database_refuses_to_change_an_audit_row():
    row_id = await _one_row()
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.update({AuditEntry.action: "test.forged"}).where(AuditEntry.id == row_id)
    row = await AuditEntry.select(AuditEntry.action).where(AuditEntry.id == row_id).first()
    assert row == {"action": "test.kept"}


async def test_postgresql_also_refuses_to_delete_an_audit_row():
    row_id = await _one_row()
    if db.is_postgres():
        with pytest.raises(Exception, match="append-only"):
            await AuditEntry.delete().where(AuditEntry.id == row_id)
        assert await AuditEntry.exists().where(AuditEntry.id == row_id)
    else:
        # SQLite: DELETE stays possible so the test reset works; the code scan above guards it.
        triggers = await AuditEntry.raw(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
        )
        assert triggers == [{"name": "audit_entry_no_update"}]
