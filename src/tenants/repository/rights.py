"""Queries of rights per module (`ModuleRight`, rules MOD-1, MOD-2, MOD-6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core.tenancy import Actor, TenantScope, readable
from src.tenants.tables import ModuleRight


async def signing_memberships(scope: TenantScope) -> list[int]:
    """The active memberships of the organisation holding a signing right."""
    rows = (
        await scope.select(ModuleRight, ModuleRight.membership)
        .where(ModuleRight.signing.eq(True))
        .where(ModuleRight.membership._.active.eq(True))
    )
    return sorted({r["membership"] for r in rows})


async def cells(scope: TenantScope) -> list[dict[str, Any]]:
    """Every right of the organisation: membership, module, signing."""
    return await scope.select(ModuleRight, ModuleRight.membership, ModuleRight.module, ModuleRight.signing)


async def right(
    scope: TenantScope, membership_id: int, module_id: int, *columns: str
) -> dict[str, Any] | None:
    """The user's right for the module, these columns by name; None without one."""
    return await (
        scope.select(ModuleRight, *map(ModuleRight._meta.get_column_by_name, columns))
        .where(ModuleRight.membership == membership_id)
        .where(ModuleRight.module == module_id)
        .first()
    )


async def rights_of(scope: TenantScope, membership_id: int) -> list[dict[str, Any]]:
    """A user's rights as {service, module, signing}, in the order they were given."""
    rows = (
        await scope.select(
            ModuleRight,
            ModuleRight.signing,
            ModuleRight.module.code.as_alias("module"),
            ModuleRight.module._.service._.code.as_alias("service"),
        )
        .where(ModuleRight.membership == membership_id)
        .order_by(ModuleRight.id)
    )
    return [{"service": r["service"], "module": r["module"], "signing": r["signing"]} for r in rows]


async def rights_rows(scope: TenantScope, membership_id: int) -> list[dict[str, Any]]:
    """A user's rights: id, module, signing."""
    return await scope.select(ModuleRight, ModuleRight.id, ModuleRight.module, ModuleRight.signing).where(
        ModuleRight.membership == membership_id
    )


async def signing_right_ids(scope: TenantScope, membership_id: int) -> list[int]:
    rows = (
        await scope.select(ModuleRight, ModuleRight.id)
        .where(ModuleRight.membership == membership_id)
        .where(ModuleRight.signing.eq(True))
    )
    return [r["id"] for r in rows]


async def module_ids_of(scope: TenantScope, membership_id: int) -> set[int]:
    """The modules a user has rights for."""
    rows = await scope.select(ModuleRight, ModuleRight.module).where(ModuleRight.membership == membership_id)
    return {r["module"] for r in rows}


async def all_rights(scope: TenantScope) -> list[dict[str, Any]]:
    """Every right of the organisation in the order given (the export)."""
    return await scope.select(
        ModuleRight, ModuleRight.membership, ModuleRight.signing, ModuleRight.module
    ).order_by(ModuleRight.id)


async def recipients(actor: Actor, module_id: int, organisation_id: int | None) -> list[dict[str, Any]]:
    """Every active user with a right for the module at the organisation, or at every active
    organisation the actor reads (all of them for a vendor admin), with the person's language
    and the organisation's country (to write to each in their language)."""
    query = (
        readable(
            actor,
            ModuleRight,
            ModuleRight.membership.as_alias("membership_id"),
            ModuleRight.organisation.as_alias("organisation_id"),
            ModuleRight.membership._.email.as_alias("email"),
            ModuleRight.membership._.name.as_alias("name"),
            ModuleRight.membership._.person._.locale.as_alias("locale"),
            ModuleRight.organisation._.country.as_alias("country"),
        )
        if organisation_id is None
        else TenantScope(actor, organisation_id).select(
            ModuleRight,
            ModuleRight.membership.as_alias("membership_id"),
            ModuleRight.organisation.as_alias("organisation_id"),
            ModuleRight.membership._.email.as_alias("email"),
            ModuleRight.membership._.name.as_alias("name"),
            ModuleRight.membership._.person._.locale.as_alias("locale"),
            ModuleRight.organisation._.country.as_alias("country"),
        )
    )
    return await (
        query.where(ModuleRight.module == module_id)
        .where(ModuleRight.membership._.active.eq(True))
        .where(ModuleRight.membership._.person._.active.eq(True))
        .where(ModuleRight.organisation._.status == "active")
        .order_by(ModuleRight.id)
    )


# --- changes ------------------------------------------------------------------------------------


async def insert_right(
    scope: TenantScope, membership_id: int, module_id: int, signing: bool, granted_by: int | None
) -> None:
    now = dt.datetime.now(dt.UTC)
    await ModuleRight.insert(
        ModuleRight(
            organisation=scope.organisation_id,
            membership=membership_id,
            module=module_id,
            signing=signing,
            granted_by=granted_by,
            created_at=now,
            updated_at=now,
        )
    )


async def delete_right(scope: TenantScope, right_id: int) -> None:
    await (
        ModuleRight.delete()
        .where(ModuleRight.id == right_id)
        .where(ModuleRight.organisation == scope.organisation_id)
    )


async def set_signing(scope: TenantScope, right_id: int, signing: bool) -> None:
    await (
        ModuleRight.update({ModuleRight.signing: signing, ModuleRight.updated_at: dt.datetime.now(dt.UTC)})
        .where(ModuleRight.id == right_id)
        .where(ModuleRight.organisation == scope.organisation_id)
    )
