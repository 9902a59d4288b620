"""Who acts, for which organisation, and the one helper every tenant-owned query goes through."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from piccolo.columns import Column, ForeignKey
from piccolo.query import Select
from piccolo.table import Table

from src.core.errors import Forbidden, NotFound
from src.core.i18n import _
from src.core.prepared import Compiled, Prepared

T = TypeVar("T", bound=Table)

CONTACT_PERSON = "contact_person"
END_USER = "end_user"
ROLES = (CONTACT_PERSON, END_USER)


@dataclass(frozen=True)
class Actor:
    person_id: int
    name: str
    is_vendor_admin: bool = False
    organisation_id: int | None = None
    membership_id: int | None = None
    role: str | None = None
    client_address: str = ""
    locale: str = ""
    via_token: bool = False
    # Of the organisation acted for, read with the actor (pages show them without a query).
    organisation_name: str = ""
    organisation_country: str = ""

    @property
    def is_contact_person(self) -> bool:
        return self.role == CONTACT_PERSON

    @property
    def label(self) -> str:
        return f"{self.name} (#{self.person_id})"


SYSTEM = Actor(person_id=0, name="system")


class TenantScope:
    """The organisation an actor may see, and the queries of its rows.

    Constructing a scope checks access: an organisation the actor does not act for
    answers NotFound, so another tenant's objects are indistinguishable from none."""

    def __init__(self, actor: Actor, organisation_id: int) -> None:
        if not (actor.is_vendor_admin or actor.organisation_id == organisation_id):
            raise NotFound()
        self.actor = actor
        self.organisation_id = organisation_id

    def require_contact_person(self) -> None:
        if not (self.actor.is_vendor_admin or self.actor.is_contact_person):
            raise Forbidden(_("Only a contact person of the organisation may do this."))

    def select(self, table: type[T], *columns: Any) -> Select[T]:
        """The organisation's rows of a tenant-owned table (through the parent for child rows)."""
        return table.select(*columns).where(organisation_column(table) == self.organisation_id)

    async def get(self, table: type[T], object_id: int, *columns: Any) -> dict[str, Any]:
        row = await self.select(table, *columns).where(table._meta.primary_key == object_id).first()
        if row is None:
            raise NotFound()
        return row

    async def rows(
        self,
        query: TenantQuery,
        *,
        shape: Hashable = None,
        limit: int | None = None,
        offset: int | None = None,
        **values: Any,
    ) -> list[dict[str, Any]]:
        return await query.rows(
            shape=shape, limit=limit, offset=offset, **values, organisation=self.organisation_id
        )

    async def first(
        self, query: TenantQuery, *, shape: Hashable = None, **values: Any
    ) -> dict[str, Any] | None:
        return await query.first(shape=shape, **values, organisation=self.organisation_id)

    async def value(self, query: TenantQuery, *, shape: Hashable = None, **values: Any) -> Any:
        return await query.value(shape=shape, **values, organisation=self.organisation_id)

    async def get_object(self, table: type[T], object_id: int) -> T:
        obj = (
            await table.objects()
            .where(organisation_column(table) == self.organisation_id)
            .where(table._meta.primary_key == object_id)
            .first()
        )
        if obj is None:
            raise NotFound()
        return obj


def readable(actor: Actor, table: type[T], *columns: Any) -> Select[T]:
    """Where every read of a tenant-owned table starts: all organisations' rows for a vendor
    admin, only the organisation's the actor acts for otherwise (none without one). A table owned
    through its parent (a revocation through its certificate) is filtered through that parent."""
    query = table.select(*columns)
    if actor.is_vendor_admin:
        return query
    return query.where(organisation_column(table) == (actor.organisation_id or 0))


def organisation_column(table: type[Table]) -> Column:
    """The column that names a tenant-owned row's organisation, following foreign keys."""
    path = _organisation_path(table)
    if path is None:
        raise TypeError(f"{table.__name__} is not owned by an organisation")
    column: Any = table
    for name in path:
        column = getattr(column, name)
    return column


@cache
def _organisation_path(table: type[Table], depth: int = 0) -> tuple[str, ...] | None:
    names = {c._meta.name for c in table._meta.columns}
    if "organisation" in names:
        return ("organisation",)
    if "organisation_id" in names:
        return ("organisation_id",)
    if depth > 3:
        return None
    for fk in table._meta.foreign_key_columns:
        target = fk._foreign_key_meta.resolved_references
        if target is table or not isinstance(fk, ForeignKey):
            continue
        rest = _organisation_path(target, depth + 1)
        if rest is not None:
            return (fk._meta.name, *rest)
    return None


class TenantQuery(Prepared):
    """A prepared query (src/core/prepared.py) of one organisation's rows. Its builder must filter
    on the parameter `p.organisation`, and only a TenantScope supplies that value:
    `await scope.rows(USERS, query="...")`."""

    def _get(self, shape: Hashable) -> Compiled:
        compiled = super()._get(shape)
        if "organisation" not in compiled.names:
            raise ValueError("a tenant query must filter on p.organisation")
        return compiled


def require_vendor_admin(actor: Actor) -> None:
    if not actor.is_vendor_admin:
        raise Forbidden(_("Only the vendor's administrators may do this."))
