"""Domain events inside the unit of work.

A service publishes an event inside its transaction; handlers registered by other domains run
in that same transaction, so their changes commit or roll back together with it. A handler may
refuse the change by raising (e.g. Conflict), which rolls everything back.

Example: deactivating a user publishes MEMBERSHIP_DEACTIVATING; the certificates domain revokes
the user's personal certificates (rule MOD-7), the rights domain checks the last signing right.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[..., Awaitable[None]]

MEMBERSHIP_DEACTIVATING = "membership.deactivating"

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register a handler; modules that subscribe are imported by `load_handlers`."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[event]:
            _handlers[event].append(handler)
        return handler

    return register


async def publish(event: str, **data: Any) -> None:
    load_handlers()
    for handler in list(_handlers[event]):
        await handler(**data)


_HANDLER_MODULES = ("src.certificates.handlers", "src.tenants.handlers", "src.subscriptions.handlers")
_loaded = False


def load_handlers() -> None:
    """Import every domain's handlers module once (a domain without one is skipped)."""
    global _loaded
    if _loaded:
        return
    import importlib

    for name in _HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    _loaded = True
