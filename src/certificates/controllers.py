"""The certificates domain's routes, assembled from the modules of its parts: the PKI core and
revocation (CRL, OCSP, revocation pages and API) and the application workflow (applying,
review, issued certificates with their downloads, manual revocation requests, the API)."""

from __future__ import annotations

from typing import Any

from src.certificates import (
    api_applications,
    api_revocation,
    application_pages,
    certificate_pages,
    manual_revocation_pages,
    publication_controllers,
    review_pages,
    revocation_pages,
)

revocation_routes: list[Any] = [
    *publication_controllers.ROUTES,
    *revocation_pages.ROUTES,
    *api_revocation.ROUTES,
]

workflow_routes: list[Any] = [
    *application_pages.ROUTES,
    *certificate_pages.ROUTES,
    *review_pages.ROUTES,
    *manual_revocation_pages.ROUTES,
    *api_applications.ROUTES,
]

ROUTES = [*revocation_routes, *workflow_routes]
