"""What vendor admins do with organisations: read, create, edit, suspend and reactivate them
(finding them: organisation_search.py; their contact persons: contact_persons.py).

Every change is vendor-admin only, runs in one transaction and writes an audit row with
the fields before and after; but for what invoices need (VAT number, billing e-mail, Peppol ID),
which the organisation's contact persons keep up to date themselves (`update_billing_details`).
Members of an organisation may read their own organisation (`get_organisation`); another
organisation answers NotFound."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from src.core import audit, db
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.prepared import Prepared
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.tenants.repository import memberships
from src.tenants.services import users
from src.tenants.services.organisation_input import (
    BILLING_FIELDS,
    FIELDS,
    _duplicates,
    _unique_index_as_field_error,
    clean_billing,
    clean_organisation,
    snapshot,
)
from src.tenants.services.organisation_search import present
from src.tenants.tables import Organisation

STATUSES = ("active", "suspended")
MAX_REASON = 500


# --- reading one organisation ------------------------------------------------------------------


_ONE = Prepared(lambda p: Organisation.select().where(Organisation.id == p.organisation))


async def _row(organisation_id: int) -> dict[str, Any]:
    row = await _ONE.first(organisation=organisation_id)
    if row is None:
        raise NotFound()
    return row


async def get_organisation(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """A vendor admin reads any organisation; a member only their own (else NotFound)."""
    TenantScope(actor, organisation_id)
    return present(await _row(organisation_id))


async def organisation_overview(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """The organisation with its contact persons and how many users it has (vendor admin)."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    organisation = present(await _row(organisation_id))
    contact_persons = await memberships.contact_persons(scope)
    for person in contact_persons:
        person["personal_identity_number_masked"] = mask(person["personal_identity_number"])
        person["card_id_masked"] = mask(person["card_id"])
    return {
        "organisation": organisation,
        "contact_persons": contact_persons,
        "users_count": await memberships.active_user_count(scope),
    }


async def organisation_users(
    actor: Actor,
    organisation_id: int,
    *,
    query: str = "",
    state: str = "",
    page: int = 1,
    record_view: bool = False,
) -> tuple[dict[str, Any], users.UserPage]:
    """The organisation and a page of its users, for a vendor admin (NotFound for an unknown id).

    `record_view`: opening another organisation's user list crosses into that tenant and is
    recorded in the audit log (paging and filtering within it are not)."""
    require_vendor_admin(actor)
    organisation = await get_organisation(actor, organisation_id)
    listing = await users.list_users(actor, organisation_id, query=query, page=page, state=state)
    if record_view:
        await audit.record(
            actor,
            "tenants.organisation_users_viewed",
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            after={key: value for key, value in (("q", listing.query), ("state", state)) if value},
        )
    return organisation, listing


def mask(value: str | None) -> str:
    """An identifier with only its last four characters visible."""
    if not value:
        return ""
    return "•" * min(max(len(value) - 4, 0), 8) + value[-4:]


# --- changes -----------------------------------------------------------------------------------


async def create_organisation(actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    values = clean_organisation(data)
    with _unique_index_as_field_error():
        async with db.transaction():
            duplicates = await _duplicates(values)
            if duplicates:
                raise InputError(duplicates)
            now = dt.datetime.now(dt.UTC)
            row = (
                await Organisation.insert(
                    Organisation(**values, status="active", created_at=now, updated_at=now)
                ).returning(*Organisation.all_columns())
            )[0]
            await audit.record(
                actor,
                "tenants.organisation_created",
                organisation_id=row["id"],
                object_type="organisation",
                object_id=row["id"],
                after=snapshot(row),
            )
    return present(row)


async def update_organisation(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Change the fields present in `data` (a partial update); the result is checked whole.

    `status` ("active" | "suspended") may be part of it, as in the API's PATCH. A contact person
    may send only the invoicing fields, for their own organisation (`update_billing_details`)."""
    TenantScope(actor, organisation_id)  # another organisation answers NotFound
    if not actor.is_vendor_admin and data and set(data) <= set(BILLING_FIELDS):
        return await update_billing_details(actor, organisation_id, data)
    require_vendor_admin(actor)
    data = dict(data)
    security = {k: data.pop(k) for k in ("requires_security", "security_reason") if k in data}
    if security:
        from src.tenants.services import security as security_service  # it builds on this module

        if "requires_security" not in security:
            raise InputError({"requires_security": _("Give requires_security with the reason.")})
        async with db.transaction():
            if data:
                await update_organisation(actor, organisation_id, data)
            return await security_service.set_requires_security(
                actor, organisation_id, security["requires_security"], security.get("security_reason", "")
            )
    status = data.get("status")
    if status is not None and status not in STATUSES:
        raise InputError({"status": _("The status is active or suspended.")})
    with _unique_index_as_field_error():
        async with db.transaction():
            current = await _locked(organisation_id)
            merged = {**snapshot(current), **{k: v for k, v in data.items() if k in FIELDS}}
            values = clean_organisation(merged)
            duplicates = await _duplicates(values, exclude_id=organisation_id)
            if duplicates:
                raise InputError(duplicates)
            before, after = audit.changes(snapshot(current), {**snapshot(current), **values})
            if after:
                update: dict[Any, Any] = {**values, "updated_at": dt.datetime.now(dt.UTC)}
                await Organisation.update(update).where(Organisation.id == organisation_id)
                await audit.record(
                    actor,
                    "tenants.organisation_updated",
                    organisation_id=organisation_id,
                    object_type="organisation",
                    object_id=organisation_id,
                    before=before,
                    after=after,
                )
            if status is not None:
                await _set_status(actor, {**current, **values}, status, "")
    return present(await _row(organisation_id))


async def update_billing_details(
    actor: Actor, organisation_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A contact person (or a vendor admin) changes what invoices need: the VAT number, the
    billing e-mail and the Peppol ID; fields left out stay as they are. Audited before/after."""
    scope = TenantScope(actor, organisation_id)  # another organisation answers NotFound
    scope.require_contact_person()  # an end user: Forbidden
    async with db.transaction():
        current = await _locked(organisation_id)
        merged = {field: current.get(field) for field in BILLING_FIELDS}
        merged.update({k: v for k, v in data.items() if k in BILLING_FIELDS})
        values = clean_billing(merged)
        before, after = audit.changes({field: current.get(field) for field in BILLING_FIELDS}, values)
        if after:
            update: dict[Any, Any] = {**values, "updated_at": dt.datetime.now(dt.UTC)}
            await Organisation.update(update).where(Organisation.id == organisation_id)
            await audit.record(
                actor,
                "tenants.organisation_billing_details_updated",
                organisation_id=organisation_id,
                object_type="organisation",
                object_id=organisation_id,
                before=before,
                after=after,
            )
    return present(await _row(organisation_id))


async def suspend_organisation(actor: Actor, organisation_id: int, reason: str = "") -> dict[str, Any]:
    """Its people can no longer sign in (and signed-in sessions and tokens stop working);
    everything it has is kept."""
    return await _change_status(actor, organisation_id, "suspended", reason)


async def reactivate_organisation(actor: Actor, organisation_id: int, reason: str = "") -> dict[str, Any]:
    return await _change_status(actor, organisation_id, "active", reason)


async def _change_status(actor: Actor, organisation_id: int, status: str, reason: str) -> dict[str, Any]:
    require_vendor_admin(actor)
    TenantScope(actor, organisation_id)
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise InputError({"reason": _("Use at most %(max)s characters.", max=MAX_REASON)})
    async with db.transaction():
        current = await _locked(organisation_id)
        await _set_status(actor, current, status, reason)
    return present(await _row(organisation_id))


async def _set_status(
    actor: Actor,
    current: Mapping[str, Any],
    status: str,
    reason: str,
    cause: str = "by_hand",
    note: str = "",
) -> None:
    """Suspend (for `cause` "by_hand" or "non_payment", with the `note` its people are shown) or
    reactivate the organisation, audited; nothing when it already has this status."""
    if current["status"] == status:
        return
    suspended = status == "suspended"
    await Organisation.update(
        {
            Organisation.status: status,
            Organisation.suspension_cause: cause if suspended else "",
            Organisation.suspension_note: note if suspended else "",
            Organisation.updated_at: dt.datetime.now(dt.UTC),
        }
    ).where(Organisation.id == current["id"])
    after: dict[str, Any] = {"status": status}
    if reason:
        after["reason"] = reason
    if suspended and cause != "by_hand":
        after["cause"] = cause
    if note and suspended:
        after["invoices"] = note
    await audit.record(
        actor,
        "tenants.organisation_suspended" if suspended else "tenants.organisation_reactivated",
        organisation_id=current["id"],
        object_type="organisation",
        object_id=current["id"],
        before={
            "status": current["status"],
            **({"cause": current["suspension_cause"]} if not suspended else {}),
        },
        after=after,
    )


async def suspend_for_non_payment(actor: Actor, organisation_id: int, reason: str, invoices: str) -> bool:
    """Suspend the organisation for non-payment (rule BIL-10), in the caller's transaction:
    `invoices` (their numbers) is what its people are shown. False when it was suspended already
    (for whatever cause: a suspension by hand stays one)."""
    require_vendor_admin(actor)
    async with db.transaction():
        current = await _locked(organisation_id)
        if current["status"] == "suspended":
            return False
        await _set_status(actor, current, "suspended", reason, "non_payment", invoices)
    return True


async def lift_non_payment_suspension(actor: Actor, organisation_id: int, reason: str) -> bool:
    """Reactivate the organisation if it is suspended for non-payment (never one suspended by
    hand for another reason), in the caller's transaction; whether it was."""
    require_vendor_admin(actor)
    async with db.transaction():
        current = await _locked(organisation_id)
        if current["status"] != "suspended" or current["suspension_cause"] != "non_payment":
            return False
        await _set_status(actor, current, "active", reason)
    return True


async def _locked(organisation_id: int) -> dict[str, Any]:
    """The organisation row, locked for this transaction on PostgreSQL (SQLite writes are serial)."""
    select = Organisation.select().where(Organisation.id == organisation_id)
    if db.is_postgres():
        select = select.lock_rows()
    row = await select.first()
    if row is None:
        raise NotFound()
    return row
