"""Queries of requests for new users (rule MOD-8)."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from src.core.tenancy import Actor, TenantScope, readable
from src.tenants.tables import UserRequest


async def request(scope: TenantScope, request_id: int) -> dict[str, Any]:
    """One request of the organisation (NotFound for another organisation's)."""
    return await scope.get(UserRequest, request_id)


async def requests_of(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's requests, newest first."""
    return await scope.select(UserRequest).order_by(UserRequest.created_at, ascending=False)


async def with_status(actor: Actor, status: str) -> list[dict[str, Any]]:
    """The requests in this status the actor reads (every organisation's for a vendor admin),
    oldest first, each with its organisation's name."""
    return await (
        readable(
            actor,
            UserRequest,
            *UserRequest.all_columns(),
            UserRequest.organisation._.name.as_alias("organisation_name"),
        )
        .where(UserRequest.status == status)
        .order_by(UserRequest.created_at)
    )


async def count_with_status(actor: Actor, status: str) -> int:
    rows = await readable(actor, UserRequest, Count(alias="count")).where(UserRequest.status == status)
    return int(rows[0]["count"]) if rows else 0


async def readable_request(actor: Actor, request_id: int) -> dict[str, Any] | None:
    """A request the actor reads, by id (any organisation's for a vendor admin)."""
    return await readable(actor, UserRequest).where(UserRequest.id == request_id).first()


async def insert_request(scope: TenantScope, **values: Any) -> int:
    """A new request of the organisation; its id."""
    created = await UserRequest.insert(UserRequest(organisation=scope.organisation_id, **values)).returning(
        UserRequest.id
    )
    return int(created[0]["id"])


async def decide(scope: TenantScope, request_id: int, **fields: Any) -> None:
    """Record the decision (these fields, by name) on one of the organisation's requests."""
    values: dict[Any, Any] = {
        UserRequest._meta.get_column_by_name(name): value for name, value in fields.items()
    }
    await (
        UserRequest.update(values)
        .where(UserRequest.id == request_id)
        .where(UserRequest.organisation == scope.organisation_id)
    )
