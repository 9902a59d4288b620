"""The labels of manual revocation requests as the dashboard domain reads them; the requests live
in src/certificates/services/manual_revocation.py."""

from src.certificates.services.manual_revocation import checklist_labels, evidence_labels

__all__ = ["checklist_labels", "evidence_labels"]
