"""Every query of the connected-services tables.

Service clients belong to the vendor, not to an organisation: only vendor admins' services list,
create and revoke them, and the one read without an actor is the look-up of a presented token by
its digest, which is how a connected service's call is recognised. Module events are owned by the
organisation they were sent to: they are written and read within its TenantScope (the service
acting for it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.connected.tables import ModuleEvent, ServiceClient
from src.core.prepared import Prepared
from src.core.tenancy import TenantScope

CLIENT_COLUMNS = (
    ServiceClient.id,
    ServiceClient.service_code,
    ServiceClient.name,
    ServiceClient.prefix,
    ServiceClient.webhook_url,
    ServiceClient.created_at,
    ServiceClient.last_used_at,
    ServiceClient.revoked_at,
)

# Asked on every call of a connected service: prepared once (src/core/prepared.py).
_CLIENT = Prepared(
    lambda p: (
        ServiceClient.select(
            ServiceClient.id, ServiceClient.service_code, ServiceClient.name, ServiceClient.last_used_at
        )
        .where(ServiceClient.token_hash == p.token_hash)
        .where(ServiceClient.revoked_at.is_null())
    )
)


async def client_by_hash(token_hash: str) -> dict[str, Any] | None:
    """The unrevoked client with this token digest."""
    return await _CLIENT.first(token_hash=token_hash)


async def note_client_used(client_id: int, now: dt.datetime) -> None:
    await ServiceClient.update({ServiceClient.last_used_at: now}).where(ServiceClient.id == client_id)


async def insert_client(
    service_code: str,
    name: str,
    prefix: str,
    token_hash: str,
    webhook_url: str,
    webhook_secret: str,
    created_by: int | None,
) -> dict[str, Any]:
    return (
        await ServiceClient.insert(
            ServiceClient(
                service_code=service_code,
                name=name,
                prefix=prefix,
                token_hash=token_hash,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
                created_by=created_by,
            )
        ).returning(*CLIENT_COLUMNS)
    )[0]


async def clients() -> list[dict[str, Any]]:
    """Every client, the unrevoked first, newest first."""
    rows = await ServiceClient.select(*CLIENT_COLUMNS).order_by(ServiceClient.id, ascending=False)
    return sorted(rows, key=lambda r: r["revoked_at"] is not None)


async def client(client_id: int) -> dict[str, Any] | None:
    return await ServiceClient.select(*CLIENT_COLUMNS).where(ServiceClient.id == client_id).first()


async def revoke_client(client_id: int, now: dt.datetime, revoked_by: int | None) -> None:
    await (
        ServiceClient.update({ServiceClient.revoked_at: now, ServiceClient.revoked_by: revoked_by})
        .where(ServiceClient.id == client_id)
        .where(ServiceClient.revoked_at.is_null())
    )


# --- module events (rule MOD-6) -------------------------------------------------------------------


async def claim_event(
    scope: TenantScope, client_id: int, dedupe_key: str, module_code: str, subject: str
) -> int | None:
    """Record the event for the organisation; None when it was recorded before (also by a
    concurrent call: the unique key decides, without failing the transaction)."""
    rows = (
        await ModuleEvent.insert(
            ModuleEvent(
                client=client_id,
                organisation=scope.organisation_id,
                dedupe_key=dedupe_key,
                module_code=module_code,
                subject=subject,
            )
        )
        .on_conflict(target=ModuleEvent.dedupe_key, action="DO NOTHING")
        .returning(ModuleEvent.id)
    )
    return rows[0]["id"] if rows else None


async def set_recipients(scope: TenantScope, event_id: int, recipients: int) -> None:
    await (
        ModuleEvent.update({ModuleEvent.recipients: recipients})
        .where(ModuleEvent.id == event_id)
        .where(ModuleEvent.organisation == scope.organisation_id)
    )


async def event_by_key(scope: TenantScope, dedupe_key: str) -> dict[str, Any] | None:
    """The organisation's event recorded under this key."""
    return await (
        scope.select(ModuleEvent, ModuleEvent.id, ModuleEvent.recipients)
        .where(ModuleEvent.dedupe_key == dedupe_key)
        .first()
    )


# --- webhooks -------------------------------------------------------------------------------------


async def webhook_clients(service_code: str | None) -> list[dict[str, Any]]:
    """The unrevoked clients with a webhook address (of one service, or of every one)."""
    query = (
        ServiceClient.select(ServiceClient.id, ServiceClient.service_code)
        .where(ServiceClient.revoked_at.is_null())
        .where(ServiceClient.webhook_url != "")
    )
    if service_code is not None:
        query = query.where(ServiceClient.service_code == service_code)
    return await query.order_by(ServiceClient.id)


async def webhook_target(client_id: int) -> dict[str, Any] | None:
    return await (
        ServiceClient.select(
            ServiceClient.id,
            ServiceClient.webhook_url,
            ServiceClient.webhook_secret,
            ServiceClient.revoked_at,
        )
        .where(ServiceClient.id == client_id)
        .first()
    )
