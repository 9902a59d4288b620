"""The certificates domain's routes, assembled from the modules of its parts: the PKI core and
revocation (pki, OCSP, CRL, revocation pages and API) and the application workflow
(`workflow_controllers`, when present)."""

from __future__ import annotations

import importlib
from typing import Any

from src.certificates import api_revocation, publication_controllers, revocation_pages

_other: list[Any] = []
try:
    workflow_controllers = importlib.import_module("src.certificates.workflow_controllers")
except ModuleNotFoundError as exc:  # the workflow part is not there (yet)
    if exc.name != "src.certificates.workflow_controllers":
        raise
else:
    _other = list(getattr(workflow_controllers, "ROUTES", []))

revocation_routes: list[Any] = [
    *publication_controllers.ROUTES,
    *revocation_pages.ROUTES,
    *api_revocation.ROUTES,
]

ROUTES = [*revocation_routes, *_other]
