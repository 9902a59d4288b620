"""What the tenants domain asks of the service catalogue and of the subscriptions, which sit
above it (src.subscriptions): the services offered, which of them an organisation subscribes to,
and the modules rights are given for. The subscriptions domain registers its answers here when
it is imported (src/subscriptions/services.py; src.domains imports it), so this domain never
imports it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from src.core.tenancy import Actor


class Catalogue(Protocol):
    """src/subscriptions/services.py itself (its functions are looked up at each call)."""

    async def catalogue(self, include_inactive: bool = False) -> list[dict[str, Any]]: ...
    async def service_by_code(self, code: str) -> dict[str, Any] | None: ...
    async def list_subscriptions(self, actor: Actor, organisation_id: int) -> list[dict[str, Any]]: ...
    async def subscribed_service_codes(self, organisation_id: int, on: dt.date | None = None) -> set[str]: ...
    async def subscribed_service_codes_of_all(self, on: dt.date) -> dict[int, set[str]]: ...
    async def service_modules(self) -> list[dict[str, Any]]: ...
    async def module_codes(self, module_id: int) -> dict[str, Any] | None: ...


_registered: Catalogue | None = None


def register(catalogue: Catalogue) -> None:
    global _registered
    _registered = catalogue


def offer() -> Catalogue:
    if _registered is None:
        raise RuntimeError("no catalogue is registered: import src.subscriptions.services (src.domains does)")
    return _registered
