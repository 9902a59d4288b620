"""Pages of a list: the right rows, total and number of pages at every edge, counting only when
the page read does not already tell the total."""

from __future__ import annotations

import pytest

from src.core.paging import paged


class FakeList:
    def __init__(self, size: int) -> None:
        self.items = [{"n": n} for n in range(size)]
        self.counts = 0

    async def rows(self, limit: int, offset: int) -> list[dict[str, int]]:
        return self.items[offset : offset + limit]

    async def count(self) -> int:
        self.counts += 1
        return len(self.items)


@pytest.mark.parametrize(
    ("size", "page", "want_page", "want_pages", "first", "shown", "counted"),
    [
        (0, 1, 1, 1, None, 0, False),  # empty list
        (7, 1, 1, 1, 0, 7, False),  # shorter than a page: the page tells the total
        (10, 1, 1, 1, 0, 10, True),  # exactly one full page: only a count tells there is no more
        (25, 1, 1, 3, 0, 10, True),
        (25, 3, 3, 3, 20, 5, False),  # a last page that is not full
        (25, 2, 2, 3, 10, 10, True),
        (25, 9, 3, 3, 20, 5, True),  # past the end: the last page
        (20, 5, 2, 2, 10, 10, True),
        (0, 4, 1, 1, None, 0, True),
        (7, 0, 1, 1, 0, 7, False),  # page 0 or below is the first
    ],
)
async def test_each_page_has_the_right_rows_total_and_page_count(
    size: int, page: int, want_page: int, want_pages: int, first: int | None, shown: int, counted: bool
) -> None:
    items = FakeList(size)
    result = await paged(items.rows, items.count, page, 10)
    assert result.total == size
    assert (result.page, result.pages) == (want_page, want_pages)
    assert len(result.rows) == shown
    assert (result.rows[0]["n"] if result.rows else None) == first
    assert (items.counts > 0) == counted


class TalliedList(FakeList):
    """A list whose rows carry its total (as the organisations list's rows carry the tally)."""

    async def rows(self, limit: int, offset: int) -> list[dict[str, int]]:
        return [{**row, "total": len(self.items)} for row in await super().rows(limit, offset)]


@pytest.mark.parametrize(
    ("size", "page", "want_page"), [(0, 1, 1), (7, 1, 1), (25, 1, 1), (25, 2, 2), (25, 9, 3)]
)
async def test_a_total_carried_by_the_rows_is_used_instead_of_a_count(
    size: int, page: int, want_page: int
) -> None:
    items = TalliedList(size)
    result = await paged(items.rows, items.count, page, 10, total_column="total")
    assert (result.total, result.page) == (size, want_page)
    assert all("total" not in row for row in result.rows)
    # Only a page past the end (no rows to carry it) needs the count.
    assert items.counts == (1 if page > want_page else 0)
