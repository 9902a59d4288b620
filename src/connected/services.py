"""Connected services: their clients (rules AG-4..AG-6, MOD-6).

A vendor admin registers a client for a catalogue service (the page /admin/service-clients or
`portal service-client create`); its bearer token is shown once and kept as a SHA-256 digest,
and revoking it ends its use at once. Both are audited. A client acts for its service only: it
asks what a person may do there (`entitlement`, the one answer of
src/tenants/services/entitlements.py) and sends its modules' messages (`send_module_event`,
through the same path as the vendor admins' form, src/tenants/services/module_mails.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from src.connected import repository
from src.core import audit, db, sealing
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import SYSTEM, Actor, TenantScope, require_vendor_admin
from src.identity.auth import hash_token
from src.tenants.catalogue import offer
from src.tenants.services import entitlements, module_mails

TOKEN_PREFIX = "cs_"  # noqa: S105 - a visible prefix, not a secret
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a visible prefix, not a secret
COMMAND_LINE = Actor(
    person_id=0,
    name="command line (portal service-client create)",
    is_vendor_admin=True,
    client_address="cli",
)


# --- clients --------------------------------------------------------------------------------------


def _clean_webhook_url(value: str) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError({"webhook_url": _("Enter a web address starting with https://, or nothing.")})
    return url


async def create_client(
    actor: Actor, service_code: str, name: str = "", webhook_url: str = ""
) -> tuple[dict[str, Any], str]:
    """Register a client of a catalogue service; its token (and, with a webhook address, the
    secret its webhooks are signed with: `webhook_secret` of the row) are returned this once."""
    require_vendor_admin(actor)
    errors: dict[str, str] = {}
    service = await offer().service_by_code((service_code or "").strip())
    if service is None:
        errors["service"] = _("Choose a service of the catalogue.")
    name = " ".join((name or "").split())
    if len(name) > 100:
        errors["name"] = _("Use at most 100 characters.")
    try:
        url = _clean_webhook_url(webhook_url)
    except InputError as exc:
        errors.update(exc.errors)
    if errors or service is None:
        raise InputError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    signing_secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32) if url else ""
    async with db.transaction():
        row = await repository.insert_client(
            service["code"],
            name or service["name_en"],
            secret[:10],
            hash_token(secret),
            url,
            sealing.seal(signing_secret) if signing_secret else "",
            actor.person_id or None,
        )
        await audit.record(
            actor,
            "connected.client_created",
            organisation_id=None,
            object_type="service_client",
            object_id=row["id"],
            after={"service": row["service_code"], "name": row["name"], "prefix": row["prefix"]},
        )
    # Shown once with the token, like it: the service checks the webhooks' signatures with it.
    return {**row, "webhook_secret": signing_secret}, secret


async def list_clients(actor: Actor) -> list[dict[str, Any]]:
    require_vendor_admin(actor)
    return await repository.clients()


async def revoke_client(actor: Actor, client_id: int) -> dict[str, Any]:
    """Revoke a client's token: the service's next call with it is refused."""
    require_vendor_admin(actor)
    async with db.transaction():
        row = await repository.client(client_id)
        if row is None:
            raise NotFound()
        if row["revoked_at"] is not None:
            return row
        await repository.revoke_client(client_id, dt.datetime.now(dt.UTC), actor.person_id or None)
        await audit.record(
            actor,
            "connected.client_revoked",
            organisation_id=None,
            object_type="service_client",
            object_id=client_id,
            before={"service": row["service_code"], "name": row["name"], "prefix": row["prefix"]},
        )
    return row


LAST_USED_PRECISION = dt.timedelta(minutes=1)


async def client_by_token(token: str) -> dict[str, Any] | None:
    """The unrevoked client a bearer token belongs to; its last use kept to the minute."""
    row = await repository.client_by_hash(hash_token(token))
    if row is not None:
        now = dt.datetime.now(dt.UTC)
        last = row["last_used_at"]
        if last is None or now - last.replace(tzinfo=last.tzinfo or dt.UTC) > LAST_USED_PRECISION:
            await repository.note_client_used(row["id"], now)
    return row


def service_actor(client: dict[str, Any], address: str = "") -> Actor:
    """Who acts when a connected service calls: its client, for no organisation yet."""
    return replace(
        SYSTEM,
        name=f"{client['name']} ({client['service_code']} client #{client['id']})",
        client_address=address,
        via_token=True,
    )


# --- what a person may do (AG-4..AG-6, MOD-1) -----------------------------------------------------


async def entitlement(
    client: dict[str, Any],
    service: dict[str, Any],
    identifier_kind: str,
    identifier: str,
    organisation: str,
    address: str = "",
) -> tuple[entitlements.Subject, entitlements.Entitlement]:
    who = await entitlements.subject(
        service_actor(client, address).name, identifier_kind, identifier, organisation, address
    )
    return who, await entitlements.for_subject(who, service, identifier_kind)


# --- module events (MOD-6) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    recipients: int
    duplicate: bool


async def send_module_event(
    client: dict[str, Any],
    *,
    organisation: str,
    module: str,
    subject: dict[str, str],
    body: dict[str, str],
    event_id: str | None,
    address: str = "",
) -> Sent:
    """A module event of the client's service: a message to every active user of the
    organisation with rights for the module, in their language. The same `event_id` sends once:
    a repeat (also a concurrent one) sends nothing and tells how many the first one reached."""
    org = await entitlements.organisation_of(organisation)
    modules = {
        m["code"]: m for m in await offer().service_modules() if m["service_code"] == client["service_code"]
    }
    errors: dict[str, str] = {}
    if module not in modules:
        errors["module"] = _("Not a module of this service.")
    event_id = (event_id or "").strip() or None
    if event_id is not None and len(event_id) > 100:
        errors["event_id"] = _("Use at most 100 characters.")
    try:
        subjects, bodies = module_mails.clean_texts(subject, body)
    except InputError as exc:
        errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    actor = replace(service_actor(client, address), organisation_id=org["id"])
    scope = TenantScope(actor, org["id"])
    key = f"{client['service_code']}:{event_id or secrets.token_hex(16)}"
    async with db.transaction():
        claimed = await repository.claim_event(
            scope, client["id"], key, module, subjects.get("en") or next(iter(subjects.values()))
        )
        if claimed is None:
            earlier = await repository.event_by_key(scope, key)
            if earlier is None:
                raise Conflict(_("This event id was already used for another organisation."))
            return Sent(earlier["recipients"], duplicate=True)
        sent = await module_mails.send_module_message(
            actor,
            module_id=modules[module]["id"],
            subject=subjects,
            body=bodies,
            organisation_id=org["id"],
            key=key,
        )
        await repository.set_recipients(scope, claimed, sent)
    return Sent(sent, duplicate=False)
