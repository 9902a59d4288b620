"""Rights per module (rules MOD-1, MOD-2).

A contact person grants and withdraws each user's right for each module of each service the
organisation subscribes to (only those), and the signing right in a module that has one (the
procurement portal's contracting module). The table is `ModuleRight` (src/tenants/tables.py);
the modules and the subscriptions are asked of the catalogue (src/tenants/catalogue.py).

The last signing right (MOD-2): if the only user with a signing right loses it, the organisation
can no longer conclude contracts. Every way of losing it asks for an explicit confirmation first:
- withdrawing it directly (`set_right`, `replace_rights`): `LastSignerConflict` unless confirmed;
- deactivating its holder: the MEMBERSHIP_DEACTIVATING handler (src/tenants/handlers.py) refuses
  unless the confirmations contain "last_signer";
- revoking the holder's personal certificate is not a way of losing it: the signing right
  belongs to the membership (`ModuleRight`), which a revocation leaves active with its rights
  (a user who leaves is deactivated, the case above, which also revokes their certificates).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from src.core import audit, db, events
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, current_locale
from src.core.tenancy import Actor, TenantScope
from src.tenants.catalogue import offer
from src.tenants.repository import memberships
from src.tenants.repository import rights as repository

LAST_SIGNER = "last_signer"


def last_signer_message(name: str = "") -> str:
    consequence = _(
        "%(name)s holds the last signing right of your organisation in the contracting module. "
        "Without it no more contracts can be concluded.",
        name=name or _("This user"),
    )
    how = _(
        "To have a new signer, a contact person grants the signing right to another user on the rights "
        "page, or applies to the service desk for a new user with signing rights."
    )
    return f"{consequence} {how}"


class LastSignerConflict(Conflict):
    """Taking away the organisation's last signing right needs an explicit confirmation."""

    confirmation = LAST_SIGNER


async def _module_rows(service_codes: set[str] | None = None) -> list[dict[str, Any]]:
    locale = current_locale.get()
    rows = await offer().service_modules()
    result = []
    for r in rows:
        if service_codes is not None and r["service_code"] not in service_codes:
            continue
        r["name"] = r.get(f"name_{locale}") or r["name_en"]
        r["service_name"] = r.get(f"service_name_{locale}") or r["service_name_en"]
        result.append(r)
    return result


async def available_modules(organisation_id: int) -> list[dict[str, Any]]:
    """Modules of the services the organisation has a subscription in force for."""
    return await _module_rows(await offer().subscribed_service_codes(organisation_id))


async def last_signer_at_risk(actor: Actor, organisation_id: int, membership_id: int) -> bool:
    """True when this user holds the organisation's only signing right (rule MOD-2): losing the
    user (deactivation) means no more contracts can be concluded."""
    return await _last_signer_at_risk(TenantScope(actor, organisation_id), membership_id)


async def _last_signer_at_risk(scope: TenantScope, membership_id: int) -> bool:
    return await repository.signing_memberships(scope) == [membership_id]


async def matrix(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """Users by modules for a contact person: each cell says right and signing right."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    modules = await available_modules(organisation_id)
    users = await memberships.active_users(scope)
    cells = {(r["membership"], r["module"]): r for r in await repository.cells(scope)}
    services: list[dict[str, Any]] = []  # the header's groups: each service with its modules
    for mod in modules:
        if not services or services[-1]["code"] != mod["service_code"]:
            services.append({"code": mod["service_code"], "name": mod["service_name"], "modules": 0})
        services[-1]["modules"] += 1
    return {
        "modules": modules,
        "services": services,
        "users": users,
        "cells": cells,
        "signers": await repository.signing_memberships(scope),
    }


async def cell(actor: Actor, organisation_id: int, membership_id: int, module_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    user = await memberships.membership(scope, membership_id, "id", "name")
    module = next((m for m in await available_modules(organisation_id) if m["id"] == module_id), None)
    if module is None:
        raise NotFound()
    right = await repository.right(scope, membership_id, module_id, "signing")
    return {"user": user, "module": module, "right": right}


async def user_rights(actor: Actor, organisation_id: int, membership_id: int) -> list[dict[str, Any]]:
    """A user's rights as {service, module, signing} (contact persons, vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    await memberships.membership(scope, membership_id, "id")
    return await _with_activity(organisation_id, await repository.rights_of(scope, membership_id))


async def _with_activity(organisation_id: int, rights: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each right with `active`: whether the organisation's subscription to its service is in
    force. A right of an ended service stays on record and works again when it is ordered again."""
    subscribed = await offer().subscribed_service_codes(organisation_id)
    return [{**r, "active": r["service"] in subscribed} for r in rights]


async def rights_summary(actor: Actor, organisation_id: int, membership_id: int) -> list[dict[str, Any]]:
    """A user's modules by name, each with whether the user holds its signing right."""
    signing = {
        (r["service"], r["module"])
        for r in await user_rights(actor, organisation_id, membership_id)
        if r["signing"]
    }
    subscribed = await offer().subscribed_service_codes(organisation_id)
    return [
        {**m, "signing": (m["service_code"], m["code"]) in signing, "active": m["service_code"] in subscribed}
        for m in await modules_with_rights(actor, organisation_id, membership_id)
    ]


async def replace_rights(
    actor: Actor,
    organisation_id: int,
    membership_id: int,
    wanted: list[dict[str, Any]],
    *,
    confirm_last_signer: bool = False,
) -> list[dict[str, Any]]:
    """Set exactly these rights ({service, module, signing}) for the user."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    user = await memberships.membership(scope, membership_id, "id", "name", "active")
    available = {(m["service_code"], m["code"]): m for m in await available_modules(organisation_id)}
    target: dict[int, bool] = {}
    for index, item in enumerate(wanted):
        key = (str(item.get("service", "")), str(item.get("module", "")))
        module = available.get(key)
        if module is None:
            raise InputError(
                {
                    f"rights[{index}]": _(
                        "Rights can be given only for modules of services your organisation subscribes to."
                    )
                }
            )
        signing = bool(item.get("signing"))
        if signing and not module["has_signing_rights"]:
            raise InputError({f"rights[{index}].signing": _("This module has no signing rights.")})
        target[module["id"]] = signing
    async with db.transaction():
        current = {r["module"]: r for r in await repository.rights_rows(scope, membership_id)}
        loses_signing = any(r["signing"] for r in current.values()) and not any(target.values())
        if loses_signing and not confirm_last_signer and await _last_signer_at_risk(scope, membership_id):
            raise LastSignerConflict(last_signer_message(user["name"]))
        available_ids = {m["id"] for m in available.values()}
        for module_id, row in current.items():
            if module_id not in available_ids:
                continue  # a right of a service no longer subscribed to stays on record
            if module_id not in target:
                await repository.delete_right(scope, row["id"])
                await _audit(actor, organisation_id, membership_id, module_id, row["signing"], None)
            elif target[module_id] != row["signing"]:
                await repository.set_signing(scope, row["id"], target[module_id])
                await _audit(
                    actor, organisation_id, membership_id, module_id, row["signing"], target[module_id]
                )
        for module_id, signing in target.items():
            if module_id not in current:
                await _insert(actor, scope, membership_id, module_id, signing)
    return await _with_activity(organisation_id, await repository.rights_of(scope, membership_id))


async def set_right(
    actor: Actor,
    organisation_id: int,
    membership_id: int,
    module_id: int,
    *,
    granted: bool,
    signing: bool = False,
    confirm_last_signer: bool = False,
) -> dict[str, Any]:
    """Change one cell of the matrix: the right for a module, and its signing right."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    user = await memberships.membership(scope, membership_id, "id", "name")
    module = next((m for m in await available_modules(organisation_id) if m["id"] == module_id), None)
    if module is None:
        raise InputError(
            {"module": _("Rights can be given only for modules of services your organisation subscribes to.")}
        )
    signing = bool(signing and granted)
    if signing and not module["has_signing_rights"]:
        raise InputError({"signing": _("This module has no signing rights.")})
    async with db.transaction():
        row = await repository.right(scope, membership_id, module_id, "id", "signing")
        if row is not None and row["signing"] and not signing and not confirm_last_signer:
            if await _last_signer_at_risk(scope, membership_id):
                others = [
                    i for i in await repository.signing_right_ids(scope, membership_id) if i != row["id"]
                ]
                if not others:
                    raise LastSignerConflict(last_signer_message(user["name"]))
        if not granted:
            if row is not None:
                await repository.delete_right(scope, row["id"])
                await _audit(actor, organisation_id, membership_id, module_id, row["signing"], None)
        elif row is None:
            await _insert(actor, scope, membership_id, module_id, signing)
        elif row["signing"] != signing:
            await repository.set_signing(scope, row["id"], signing)
            await _audit(actor, organisation_id, membership_id, module_id, row["signing"], signing)
    return await cell(actor, organisation_id, membership_id, module_id)


async def _insert(
    actor: Actor, scope: TenantScope, membership_id: int, module_id: int, signing: bool
) -> None:
    await repository.insert_right(scope, membership_id, module_id, signing, actor.person_id or None)
    await _audit(actor, scope.organisation_id, membership_id, module_id, None, signing)


async def _audit(
    actor: Actor,
    organisation_id: int,
    membership_id: int,
    module_id: int,
    before: bool | None,
    after: bool | None,
) -> None:
    """before/after: None = no right, False = right, True = right with signing."""
    module = await offer().module_codes(module_id) or {"code": str(module_id), "service": ""}

    def state(value: bool | None) -> dict[str, Any]:
        return {"right": value is not None, "signing": bool(value)}

    if before is None:
        action = "rights.granted"
    elif after is None:
        action = "rights.withdrawn"
    else:
        action = "rights.signing_granted" if after else "rights.signing_withdrawn"
    await audit.record(
        actor,
        action,
        organisation_id=organisation_id,
        object_type="membership",
        object_id=membership_id,
        before={"service": module["service"], "module": module["code"], **state(before)},
        after={"service": module["service"], "module": module["code"], **state(after)},
    )
    await events.publish(
        events.RIGHTS_CHANGED,
        actor=actor,
        organisation_id=organisation_id,
        membership_id=membership_id,
        service_code=module["service"],
        module_code=module["code"],
    )


async def modules_with_rights(actor: Actor, organisation_id: int, membership_id: int) -> list[dict[str, Any]]:
    """The modules a user has rights for (their module mails go to this user, rule MOD-6)."""
    ids = await repository.module_ids_of(TenantScope(actor, organisation_id), membership_id)
    return [m for m in await _module_rows() if m["id"] in ids]


# --- export (rule MOD-3) and the registered e-mail (rule MOD-5) ---------------------------------


async def export_users(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """Every user of the organisation with their registered e-mail and rights (contact persons)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    members = await memberships.users_for_export(scope)
    rows = await repository.all_rights(scope)
    names = {m["id"]: f"{m['service_name']} – {m['name']}" for m in await _module_rows()}
    by_member: dict[int, list[str]] = {}
    for r in rows:
        label = names.get(r["module"], "")
        if r["signing"]:
            label = f"{label} ({_('with signing rights')})"
        by_member.setdefault(r["membership"], []).append(label)
    return [{**m, "rights": by_member.get(m["id"], [])} for m in members]


# Whether a user holds a personal certificate is the certificates domain's to answer (a layer
# above this one); it registers its answer on import (src/certificates/handlers.py).
_personal_certificate_check: Callable[[Actor, int], Awaitable[bool]] | None = None


def answer_personal_certificates_with(check: Callable[[Actor, int], Awaitable[bool]]) -> None:
    global _personal_certificate_check
    _personal_certificate_check = check


async def holds_valid_personal_certificate(actor: Actor, membership_id: int) -> bool:
    """A personal certificate held by this user, not revoked and not expired, that the actor may
    see (rule MOD-5)."""
    if _personal_certificate_check is None:
        raise RuntimeError("no personal certificate check is registered: import src.certificates.handlers")
    return await _personal_certificate_check(actor, membership_id)
