"""The certificate lists, search and counts as the dashboard domain reads them; they live in
src/certificates/services/overview.py."""

from src.certificates.services.overview import (
    CertificatePage,
    CertificateQuery,
    awaiting_manual_count,
    exact_matches,
    expiring_count,
    find_certificates,
    kind_labels,
    organisation_certificates,
    pending_application_count,
    revocation_statistics,
)

__all__ = [
    "CertificatePage",
    "CertificateQuery",
    "awaiting_manual_count",
    "exact_matches",
    "expiring_count",
    "find_certificates",
    "kind_labels",
    "organisation_certificates",
    "pending_application_count",
    "revocation_statistics",
]
