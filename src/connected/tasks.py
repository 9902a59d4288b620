"""The connected services' actors: webhook notices (src/connected/webhooks.py)."""

from __future__ import annotations

from typing import Any

from src.connected import webhooks
from src.workers.broker import async_actor


# About two days of retries with dramatiq's exponential back-off before the notice is given up
# (and kept in the outbox as failed, to be sent again by a vendor admin).
@async_actor(webhooks.ACTOR, max_retries=20, min_backoff=5_000, max_backoff=3_600_000)
async def deliver_webhook(client_id: int, event: dict[str, Any], dedupe_key: str) -> None:
    """Finishes (and its outbox row is done) only once the service accepted the notice."""
    await webhooks.deliver(client_id, event)
