"""The certificates domain's routes, assembled from the pages (`<part>_pages.py`) and the JSON API
(`<part>_api.py`) of its parts: the PKI core and
revocation (CRL, OCSP, revocation pages and API) and the application workflow (applying,
review, issued certificates with their downloads, manual revocation requests, the API)."""

from __future__ import annotations

from typing import Any

from src.certificates.controllers import (
    applications_api,
    applications_pages,
    certificates_pages,
    manual_revocation_pages,
    publication_pages,
    review_pages,
    revocation_api,
    revocation_pages,
)

revocation_routes: list[Any] = [
    *publication_pages.ROUTES,
    *revocation_pages.ROUTES,
    *revocation_api.ROUTES,
]

workflow_routes: list[Any] = [
    *applications_pages.ROUTES,
    *certificates_pages.ROUTES,
    *review_pages.ROUTES,
    *manual_revocation_pages.ROUTES,
    *applications_api.ROUTES,
]

ROUTES = [*revocation_routes, *workflow_routes]
