"""Which numbers can name a row.

Every id column is an SQL integer (piccolo's `Serial` and `ForeignKey`), 32 bits on
PostgreSQL. A number outside that range names no row, and the database drivers refuse it as
a query parameter (asyncpg: out of int32 range; SQLite: too large), so such a number is
answered as "not found" or "invalid" before it reaches a query."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

MAX_ID = 2**31 - 1

# An id in an API body: a number outside the range is refused by validation, naming the field.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


def is_id(value: Any) -> bool:
    """Whether `value` could be the id of a row."""
    return type(value) is int and 0 < value <= MAX_ID


def parse_id(text: Any) -> int | None:
    """The id a form field holds, or None when it holds none (empty, not a number, out of range)."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if is_id(value) else None
