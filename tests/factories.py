"""Rows for tests, written straight to the tables (the services have their own tests)."""

from __future__ import annotations

import itertools
from typing import Any

from src.tenants.tables import Membership, Organisation, Person

_seq = itertools.count(1)


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def kvk() -> str:
    return f"{next(_seq) + 10000000:08d}"


def org_number() -> str:
    n = next(_seq)
    base = f"55{20 + n % 80:02d}{n % 100000:05d}"
    return base + _luhn_digit(base)


def personnummer(year: int = 1980, month: int = 1, day: int = 1) -> str:
    n = next(_seq) % 1000
    short = f"{year % 100:02d}{month:02d}{day:02d}{n:03d}"
    return f"{year}{month:02d}{day:02d}{n:03d}{_luhn_digit(short)}"


async def organisation(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"Zorggroep {next(_seq)} B.V.",
        "country": "NL",
        "legal_form": "bv",
        "kvk_number": kvk(),
        "agb_code": f"{next(_seq) + 20000000:08d}",
        "billing_address": "Postbus 1\n1000 AA Amsterdam",
        "postal_address": "Postbus 1\n1000 AA Amsterdam",
        "status": "active",
    }
    values.update(fields)
    row = await Organisation.insert(Organisation(**values)).returning(*Organisation.all_columns())
    return row[0]


async def person(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"Person {next(_seq)}",
        "email": f"person{next(_seq)}@example.org",
        "personal_identity_number": personnummer(),
        "is_vendor_admin": False,
    }
    values.update(fields)
    row = await Person.insert(Person(**values)).returning(*Person.all_columns())
    return row[0]


async def member(
    org: dict[str, Any], who: dict[str, Any] | None = None, role: str = "end_user", **fields: Any
) -> dict[str, Any]:
    who = who or await person()
    values: dict[str, Any] = {
        "organisation": org["id"],
        "person": who["id"],
        "name": who["name"],
        "email": who["email"] or f"user{next(_seq)}@example.org",
        "role": role,
        "active": True,
    }
    values.update(fields)
    row = await Membership.insert(Membership(**values)).returning(*Membership.all_columns())
    return {**row[0], "person_row": who}


async def vendor_admin(**fields: Any) -> dict[str, Any]:
    return await person(is_vendor_admin=True, name="Vendor Admin", **fields)
