"""Imports every actor module after the broker, so the broker knows all actors."""
# ruff: noqa: I001  (the broker must be imported before any actor module)

from src.workers import broker as _broker  # noqa: F401
from src.core import mail as _mail  # noqa: F401
from src.tenants import tasks as _tenant_tasks  # noqa: F401
from src.certificates import tasks as _certificate_tasks  # noqa: F401
from src.certificates import publication as _certificate_publication  # noqa: F401
from src.tenants.services import compliance as _tenant_compliance  # noqa: F401
