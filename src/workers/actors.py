"""Imports every actor module after the broker, so the broker knows all actors."""

from src.core import mail as _mail  # noqa: F401
from src.tenants import tasks as _tenant_tasks  # noqa: F401
from src.workers import broker as _broker  # noqa: F401  (must come first)
