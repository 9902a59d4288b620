"""Changes pushed to the connected services (rules AG-1, AG-6, MOD-1, MOD-7).

When a user's module rights, an organisation's agreement or subscriptions, or a certificate
change, each registered client with a webhook address is told, so it asks the entitlement
question again instead of waiting for the next sign-in. The notice is an outbox row written in
the transaction of the change (src/connected/handlers.py), so it is sent once the change has
committed and never when it rolled back; `deliver_webhook` (src/connected/tasks.py) posts it and
counts it delivered only on a 2xx answer, else dramatiq retries it with back-off, and a notice
that used up its retries stays in the outbox as failed, for a vendor admin to send again.

What a service receives: a JSON body `{"id", "type", "occurred_at", "organisation": {"id"},
"data": {...}}` and the headers `X-Portal-Event-Id` (the same `id` on every retry: the receiver
ignores one it has seen), `X-Portal-Timestamp` (Unix seconds of this attempt) and
`X-Portal-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the client's
webhook secret (shown once when the client was registered)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx

from src.connected import repository
from src.core import outbox, sealing

ACTOR = "deliver_webhook"
TIMEOUT_SECONDS = 10


class NotDelivered(Exception):
    """The service did not accept the notice (it is retried)."""


async def notify(
    event_type: str, organisation_id: int, data: dict[str, Any], service_code: str | None = None
) -> int:
    """Queue the notice for every client with a webhook address (of `service_code` only, when the
    change concerns one service). Call inside the transaction of the change."""
    clients = await repository.webhook_clients(service_code)
    if not clients:
        return 0
    event = {
        "id": uuid.uuid4().hex,
        "type": event_type,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "organisation": {"id": organisation_id},
        "data": data,
    }
    for client in clients:
        await outbox.enqueue(
            ACTOR, {"client_id": client["id"], "event": event}, f"webhook:{client['id']}:{event['id']}"
        )
    return len(clients)


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def deliver(client_id: int, event: dict[str, Any]) -> bool:
    """Post the notice to the client's webhook address; False when there is nobody to tell any
    more (the client was revoked or has no address). Raises NotDelivered unless answered 2xx."""
    client = await repository.webhook_target(client_id)
    if (
        client is None
        or client["revoked_at"] is not None
        or not client["webhook_url"]
        or not client["webhook_secret"]
    ):
        return False
    body = body_of(event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "care-portal-webhooks",
        "X-Portal-Event-Id": event["id"],
        "X-Portal-Timestamp": timestamp,
        "X-Portal-Signature": signature(sealing.unseal(client["webhook_secret"]), timestamp, body),
    }
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            answer = await http.post(client["webhook_url"], content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise NotDelivered(f"{client['webhook_url']}: {type(exc).__name__}") from exc
    if not 200 <= answer.status_code < 300:
        raise NotDelivered(f"{client['webhook_url']} answered {answer.status_code}")
    return True
