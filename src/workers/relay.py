"""The outbox (src.core.outbox) as the workers see it. The outbox registers itself here when it
is imported, so the workers need not import it:
- `relay_pending` and `sweep_stuck`, the two jobs the worker process runs on its schedule;
- `mark_done` and `record_failure`, how the broker notes the outcome of a message that came
  from an outbox row (src.workers.broker.async_actor)."""

from __future__ import annotations

from typing import Any, Protocol


class Outbox(Protocol):
    """The outbox module itself registers (its functions are looked up at each call)."""

    async def relay_pending(self) -> Any: ...
    async def sweep_stuck(self) -> Any: ...
    async def mark_done(self, actor_name: str, dedupe_key: str) -> None: ...
    async def record_failure(self, actor_name: str, dedupe_key: str, error: str) -> None: ...


_registered: Outbox | None = None


def register(outbox: Outbox) -> None:
    global _registered
    _registered = outbox


def registered() -> Outbox:
    if _registered is None:
        raise RuntimeError("no outbox is registered: import src.core.outbox (src.domains does)")
    return _registered


async def relay_pending() -> Any:
    return await registered().relay_pending()


async def sweep_stuck() -> Any:
    return await registered().sweep_stuck()
