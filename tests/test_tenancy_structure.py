"""Tenancy by structure: a tenant-owned table is queried only in its domain's repository.

A table is tenant-owned when it has a foreign key to the organisation (or an `organisation_id`
column), or a foreign key to a tenant-owned table (a revocation belongs to its certificate's
organisation). The set is found from the tables, so a new table is covered the day it is added.

Its rows are read and written only in `src/<domain>/repository.py` (or a `repository/` package),
whose reads start from `readable(actor, ...)` or a `TenantScope`, and in the few modules named
below that answer for every organisation by design, each with the reason. Anywhere else, a
query of such a table (`Table.select(...)`, `.objects()`, `.insert()`, `.update()`, `.delete()`,
`.count()`, `.exists()`, `.raw()`, or a new row `Table(...)`) fails this test with its place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from piccolo.columns import ForeignKey
from piccolo.table import Table

import src.domains  # noqa: F401  (imports every domain's tables)
from src.tenants.tables import Organisation

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

QUERIES = {"select", "objects", "insert", "update", "delete", "count", "exists", "raw", "add_m2m"}

# Modules that answer for every organisation by design, and why.
SYSTEM_MODULES: dict[str, str] = {
    "src/certificates/services/ocsp.py": (
        "The OCSP responder answers any relying party, signed in or not, for every organisation's "
        "certificates by serial number, and each process polls the count of all revocations to "
        "drop its pre-signed answers."
    ),
    "src/certificates/services/crl.py": (
        "A CRL lists every revocation of an issuing CA, whichever organisation the certificate "
        "belongs to, for any relying party."
    ),
    "src/certificates/services/public_revocation.py": (
        "Whoever holds a certificate's number and revocation code may revoke it on the public "
        "revocation page without signing in, so the certificate is found by its number alone."
    ),
    "src/certificates/services/renewal.py": (
        "The hourly renewal-letter job looks over every organisation's certificates for those "
        "expiring, and its worker writes the letter with nobody signed in."
    ),
    "src/certificates/services/confirmation.py": (
        "The worker that mails the confirmation letter after issuance reads the certificate and "
        "the organisation's contact persons with nobody signed in."
    ),
    "src/tenants/tasks.py": "The invitation mail and the hourly legacy-terms reminders act for no one "
    "signed in: they read the membership an outbox message names, and every organisation's contact persons.",
    "src/core/audit.py": (
        "The audit log's one write: every domain's services record what they did, for the"
        " organisation they scoped, inside their own transaction (read through readable(actor))."
    ),
    "src/cli.py": (
        "The operator's command line acts for no organisation: `portal token create` finds a"
        " person by an e-mail address registered in any organisation."
    ),
    "src/demo/rows.py": (
        "Demo seeding acts for no organisation: it asks of every demo organisation whether it has"
        " a part of the demo already, and adds the memberships."
    ),
}


def _all_tables() -> list[type[Table]]:
    seen: list[type[Table]] = []
    todo = list(Table.__subclasses__())
    while todo:
        table = todo.pop()
        if table not in seen:
            seen.append(table)
            todo.extend(table.__subclasses__())
    return [t for t in seen if t.__module__.startswith("src.")]


def tenant_owned() -> set[str]:
    return {t.__name__ for t in _tenant_owned_tables()}


def _tenant_owned_tables() -> set[type[Table]]:
    tables = _all_tables()
    owned: set[type[Table]] = set()
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table in owned or table is Organisation:
                continue
            for column in table._meta.columns:
                target = None
                if isinstance(column, ForeignKey):
                    target = column._foreign_key_meta.resolved_references
                if target is Organisation or target in owned or column._meta.name == "organisation_id":
                    owned.add(table)
                    changed = True
                    break
    return owned


def _is_allowed(relative: str) -> bool:
    parts = relative.split("/")
    return (
        parts[-1] == "repository.py"
        or "repository" in parts[:-1]
        or relative in SYSTEM_MODULES
        or "piccolo_migrations" in parts
    )


def _table_names(tree: ast.Module, owned: set[str]) -> dict[str, str]:
    """Local name -> table name, for the tenant-owned tables this module imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("tables"):
            for alias in node.names:
                if alias.name in owned:
                    names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ClassDef) and node.name in owned:
            names[node.name] = node.name
    return names


def queries_outside_repositories() -> list[str]:
    """One line per query: `path Table.method` (no line numbers, so that edits elsewhere in a
    file do not change it)."""
    tables = _tenant_owned_tables()
    owned = {t.__name__ for t in tables}
    sql = re.compile(
        r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?("
        + "|".join(re.escape(t._meta.tablename) for t in tables)
        + r")\b\"?",
        re.IGNORECASE,
    )
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if _is_allowed(relative):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in sql.finditer(node.value):
                    found.append(f"{relative} SQL {match.group(1)}")
        names = _table_names(tree, owned)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in QUERIES
                and isinstance(func.value, ast.Name)
                and func.value.id in names
            ):
                found.append(f"{relative} {names[func.value.id]}.{func.attr}")
            elif isinstance(func, ast.Name) and func.id in names:
                found.append(f"{relative} {names[func.id]}(...)")
    return found


def test_the_tenant_owned_tables_are_found_from_the_tables():
    owned = tenant_owned()
    # Direct owners, and rows that belong to a tenant through their parent.
    assert {"Membership", "Certificate", "Subscription", "Revocation"} <= owned
    assert not {"Organisation", "Person", "Service"} & owned


def test_tenant_owned_tables_are_queried_only_in_repositories_and_named_system_modules():
    found = queries_outside_repositories()
    assert not found, "queries of tenant-owned tables outside a repository:\n" + "\n".join(sorted(found))


def test_every_named_system_module_exists_and_says_why():
    for relative, reason in SYSTEM_MODULES.items():
        assert (ROOT / relative).is_file(), relative
        assert len(reason) > 20, relative
