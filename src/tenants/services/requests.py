"""Requests for new users (rule MOD-8): a contact person asks for a user with the modules they
need; a vendor admin approves (the user is created with those rights and invited, through
src/tenants/services/user_changes.add_user) or rejects with a reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.core import audit, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.tenants.repository import requests as repository
from src.tenants.services import rights, user_changes, users
from src.tenants.tables import Organisation

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def _modules_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    value = row.get("modules") or []
    return list(json.loads(value) if isinstance(value, str) else value)


def _present(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["modules"] = _modules_of(row)
    row["personal_identity_number_masked"] = users.mask(row.get("personal_identity_number"))
    row["card_id_masked"] = users.mask(row.get("card_id"))
    return row


async def create_request(
    actor: Actor,
    organisation_id: int,
    *,
    name: str | None,
    email: str | None,
    personal_identity_number: str | None = None,
    card_id: str | None = None,
    module_ids: list[int] | None = None,
    signing_module_ids: list[int] | None = None,
) -> dict[str, Any]:
    """A contact person requests a new user with rights for the given modules."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    organisation = (
        await Organisation.select(Organisation.country).where(Organisation.id == organisation_id).first()
    )
    if organisation is None:
        raise NotFound()
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field, check, args in (
        ("name", users.clean_name, (name,)),
        ("email", users.clean_email, (email,)),
        (
            "personal_identity_number",
            users.clean_personal_identity_number,
            (personal_identity_number, organisation["country"]),
        ),
        ("card_id", users.clean_card_id, (card_id,)),
    ):
        try:
            cleaned[field] = check(*args)
        except InputError as exc:
            errors.update(exc.errors)
    if not (cleaned.get("personal_identity_number") or cleaned.get("card_id")) and not (
        {"personal_identity_number", "card_id"} & set(errors)
    ):
        message = _("Enter the personal identity number or the card id the user signs in with.")
        errors["personal_identity_number"] = message
    available = {m["id"]: m for m in await rights.available_modules(organisation_id)}
    wanted: list[dict[str, Any]] = []
    signing_ids = set(signing_module_ids or [])
    for module_id in dict.fromkeys(list(module_ids or []) + list(signing_ids)):
        module = available.get(module_id)
        if module is None:
            errors["modules"] = _(
                "Rights can be given only for modules of services your organisation subscribes to."
            )
            continue
        signing = module_id in signing_ids and module["has_signing_rights"]
        wanted.append({"service": module["service_code"], "module": module["code"], "signing": signing})
    if errors:
        raise InputError(errors)
    async with db.transaction():
        request_id = await repository.insert_request(
            scope,
            requested_by=actor.membership_id,
            name=cleaned["name"],
            email=cleaned["email"],
            personal_identity_number=cleaned["personal_identity_number"],
            card_id=cleaned["card_id"],
            modules=wanted,
            status=PENDING,
        )
        await audit.record(
            actor,
            "requests.user_requested",
            organisation_id=organisation_id,
            object_type="user_request",
            object_id=request_id,
            after={"name": cleaned["name"], "email": cleaned["email"], "modules": wanted},
        )
    return _present(await repository.request(scope, request_id))


async def list_requests(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await repository.requests_of(scope)
    return [_present(r) for r in rows]


async def pending_requests(actor: Actor) -> list[dict[str, Any]]:
    """Every pending request, oldest first (vendor admins)."""
    require_vendor_admin(actor)
    rows = await repository.with_status(actor, PENDING)
    return [_present(r) for r in rows]


async def pending_request_count(actor: Actor) -> int:
    """How many requests for a new user wait for a vendor admin's decision."""
    require_vendor_admin(actor)
    return await repository.count_with_status(actor, PENDING)


async def _pending(actor: Actor, request_id: int) -> dict[str, Any]:
    row = await repository.readable_request(actor, request_id)
    if row is None:
        raise NotFound()
    if row["status"] != PENDING:
        raise Conflict(_("This request has already been decided."))
    return row


async def approve(actor: Actor, request_id: int) -> dict[str, Any]:
    """Create the user with the requested rights and send the invitation (vendor admins)."""
    require_vendor_admin(actor)
    async with db.transaction():
        row = await _pending(actor, request_id)
        organisation_id = row["organisation"]
        user = await user_changes.add_user(
            actor,
            organisation_id,
            name=row["name"],
            email=row["email"],
            personal_identity_number=row["personal_identity_number"],
            card_id=row["card_id"],
        )
        wanted = [m for m in _modules_of(row)]
        available = {(m["service_code"], m["code"]) for m in await rights.available_modules(organisation_id)}
        await rights.replace_rights(
            actor,
            organisation_id,
            user["id"],
            [m for m in wanted if (m["service"], m["module"]) in available],
        )
        await repository.decide(
            TenantScope(actor, organisation_id),
            request_id,
            status=APPROVED,
            decided_by=actor.person_id or None,
            decided_at=dt.datetime.now(dt.UTC),
            membership=user["id"],
        )
        await audit.record(
            actor,
            "requests.user_request_approved",
            organisation_id=organisation_id,
            object_type="user_request",
            object_id=request_id,
            after={"membership_id": user["id"], "modules": wanted},
        )
    return {**user, "request_id": request_id}


async def reject(actor: Actor, request_id: int, reason: str) -> None:
    require_vendor_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InputError({"reason": _("Say why the request is rejected; the contact person sees it.")})
    async with db.transaction():
        row = await _pending(actor, request_id)
        await repository.decide(
            TenantScope(actor, row["organisation"]),
            request_id,
            status=REJECTED,
            decided_by=actor.person_id or None,
            decided_at=dt.datetime.now(dt.UTC),
            decision_reason=reason[:2000],
        )
        await audit.record(
            actor,
            "requests.user_request_rejected",
            organisation_id=row["organisation"],
            object_type="user_request",
            object_id=request_id,
            after={"reason": reason[:2000]},
        )
