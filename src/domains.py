"""The domains of the portal, lowest first, and what each brings: `create_app` takes their routes
and page hooks, and the app and the worker process both import this module, which declares every
actor with the broker and registers every handler of domain events (src.core.events)."""
# ruff: noqa: I001  (the broker before any actor module; the handlers in the order they run)

from __future__ import annotations

from types import ModuleType
from typing import Any

from src.workers import broker as _broker  # noqa: F401
from src.core import controllers as core_controllers
from src.core import mail as _mail  # noqa: F401 - actor
from src.core import outbox as _outbox  # noqa: F401 - registers the relay with the workers
from src.identity import controllers as identity_controllers
from src.tenants import controllers as tenants_controllers
from src.tenants import tasks as _tenant_tasks  # noqa: F401 - actors
from src.subscriptions import controllers as subscriptions_controllers
from src.subscriptions import tasks as _subscription_tasks  # noqa: F401 - periodic jobs
from src.certificates import controllers as certificates_controllers
from src.certificates import tasks as _certificate_tasks  # noqa: F401 - actors, periodic jobs
from src.billing import controllers as billing_controllers
from src.billing import tasks as _billing_tasks  # noqa: F401 - actors, the monthly run
from src.connected import controllers as connected_controllers
from src.connected import tasks as _connected_tasks  # noqa: F401 - actors
from src.dashboard import controllers as dashboard_controllers
from src.certificates import handlers as _certificate_handlers  # noqa: F401
from src.tenants import handlers as _tenant_handlers  # noqa: F401
from src.subscriptions import handlers as _subscription_handlers  # noqa: F401
from src.connected import handlers as _connected_handlers  # noqa: F401
from src.billing import handlers as _billing_handlers  # noqa: F401

# Each domain's controllers module, in the order of the layers.
CONTROLLERS: tuple[ModuleType, ...] = (
    core_controllers,
    identity_controllers,
    tenants_controllers,
    subscriptions_controllers,
    certificates_controllers,
    billing_controllers,
    connected_controllers,
    dashboard_controllers,
)


def listed(name: str) -> list[Any]:
    """What every domain's controllers module lists under `name` (ROUTES, PAGE_HOOKS)."""
    return [item for module in CONTROLLERS for item in getattr(module, name, [])]
