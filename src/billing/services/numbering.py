"""Invoice and credit note numbers: one series per kind and year, without gaps or reuse.

A number is taken inside the transaction that finalises the document: the series row is
incremented with an UPDATE, which PostgreSQL locks until that transaction ends, so concurrent
finalisations take turns (SQLite writes one transaction at a time); a transaction that rolls back
gives its number back with it. Invoices are numbered `2027-000123`, credit notes `C2027-000012`,
interest notes `R2027-000003`.
"""

from __future__ import annotations

from src.billing import repository

PREFIX = {"invoice": "", "credit_note": "C", "interest_note": "R"}


async def take(kind: str, year: int) -> str:
    """The next number of the series; call inside the finalising transaction."""
    return formatted(kind, year, await repository.next_in_series(f"{kind}:{year}"))


def formatted(kind: str, year: int, number: int) -> str:
    return f"{PREFIX[kind]}{year:04d}-{number:06d}"
