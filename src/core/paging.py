"""One page of a list and how many items the list has, with as few queries as the answer allows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from src.core.ids import MAX_ID

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Paged:
    rows: Rows
    total: int
    page: int
    pages: int


def page_in_reach(page: int, page_size: int) -> int:
    """`page` from 1 on; a number so large that its offset is no number the database takes
    (no list is that long) becomes a page past the end, which lists answer as they do any."""
    return min(max(page, 1), MAX_ID // page_size + 1)


async def paged(
    rows: Callable[[int, int], Awaitable[Rows]],
    count: Callable[[], Awaitable[int]],
    page: int,
    page_size: int,
    *,
    total_column: str | None = None,
) -> Paged:
    """The rows of `page` (from 1; past the end gives the last page) and the total.

    `rows(limit, offset)` reads a page, `count()` counts the whole list. The page is read first:
    when it is not full it is the last one, and the total follows from it without counting,
    which spares the count for most searches and for most organisations' lists.

    When the total is cheap to read with the rows (kept in a table, not counted), the rows
    query can carry it in every row, in `total_column`: then a full page needs no count either.
    The column is taken out of the rows."""
    page = page_in_reach(page, page_size)
    offset = (page - 1) * page_size
    found = await rows(page_size, offset)
    carried = _take_total(found, total_column)
    if len(found) < page_size and (found or page == 1):
        total = offset + len(found)
    elif carried is not None:
        total = carried
    else:
        total = await count()
    pages = max(1, -(-total // page_size))
    if page > pages:
        page = pages
        found = await rows(page_size, (page - 1) * page_size)
        _take_total(found, total_column)
    return Paged(rows=found, total=total, page=page, pages=pages)


def _take_total(found: Rows, column: str | None) -> int | None:
    """The total the rows carry in `column` (None when they carry none), taken out of them."""
    if column is None or not found:
        return None
    total = None
    for row in found:
        total = row.pop(column)
    return int(total or 0)
