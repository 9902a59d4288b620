"""Counting rows an actor may read: the same filter as `readable`, on a COUNT."""

from __future__ import annotations

from typing import Any, TypeVar

from piccolo.query import Count
from piccolo.table import Table

from src.core.tenancy import Actor, organisation_column

T = TypeVar("T", bound=Table)


def readable_count(actor: Actor, table: type[T]) -> Count:
    """COUNT(*) of the rows `readable(actor, table)` gives."""
    query: Any = table.count()
    if actor.is_vendor_admin:
        return query
    return query.where(organisation_column(table) == (actor.organisation_id or 0))
