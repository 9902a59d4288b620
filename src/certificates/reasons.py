"""The revocation reasons of rule REV-3 (and MOD-7, and a compromised key) and their RFC 5280
CRLReason codes, used in the Revocation row, the CRL entries and the OCSP answers.

Mapping, with RFC 5280 §5.3.1's definitions:
- organisation_ceased  → cessationOfOperation (5): the subscriber ceases to exist.
- criteria_not_met     → privilegeWithdrawn (9): the organisation no longer qualifies (e.g. no
  longer an insurer or care office) — the privilege the certificate attests is withdrawn. Not
  affiliationChanged: nothing in the certificate changed, the right to hold it ended.
- data_changed         → affiliationChanged (3): "the subject's name or other information in the
  certificate has been modified", literally REV-3's "data on the certificate are wrong or
  changed". (superseded (4) is for a certificate replaced by a new one; a subscriber who renews
  does not need to revoke the old one.)
- ict_support_lapsed   → cessationOfOperation (5): the service the certificate secures stops.
- user_left            → affiliationChanged (3): the person left the organisation (MOD-7).
- key_compromise       → keyCompromise (1).
"""

from __future__ import annotations

from cryptography import x509

from src.core.i18n import _

REASON_FLAGS: dict[str, x509.ReasonFlags] = {
    "organisation_ceased": x509.ReasonFlags.cessation_of_operation,
    "criteria_not_met": x509.ReasonFlags.privilege_withdrawn,
    "data_changed": x509.ReasonFlags.affiliation_changed,
    "ict_support_lapsed": x509.ReasonFlags.cessation_of_operation,
    "user_left": x509.ReasonFlags.affiliation_changed,
    "key_compromise": x509.ReasonFlags.key_compromise,
}

# RFC 5280 CRLReason integer values.
_CODES: dict[x509.ReasonFlags, int] = {
    x509.ReasonFlags.unspecified: 0,
    x509.ReasonFlags.key_compromise: 1,
    x509.ReasonFlags.ca_compromise: 2,
    x509.ReasonFlags.affiliation_changed: 3,
    x509.ReasonFlags.superseded: 4,
    x509.ReasonFlags.cessation_of_operation: 5,
    x509.ReasonFlags.certificate_hold: 6,
    x509.ReasonFlags.remove_from_crl: 8,
    x509.ReasonFlags.privilege_withdrawn: 9,
    x509.ReasonFlags.aa_compromise: 10,
}
FLAG_BY_CODE: dict[int, x509.ReasonFlags] = {v: k for k, v in _CODES.items()}

USER_LEFT = "user_left"
# Reasons a person chooses on the revocation pages and in the API (user_left is set by MOD-7,
# but a contact person may also choose it).
CHOOSABLE = (
    "organisation_ceased",
    "criteria_not_met",
    "data_changed",
    "ict_support_lapsed",
    "user_left",
    "key_compromise",
)


def reason_code(reason: str) -> int:
    return _CODES[REASON_FLAGS[reason]]


def reason_flag(code: int) -> x509.ReasonFlags:
    return FLAG_BY_CODE.get(code, x509.ReasonFlags.unspecified)


def label(reason: str) -> str:
    labels = {
        "organisation_ceased": _("The organisation ceases to exist"),
        "criteria_not_met": _("The organisation no longer meets the criteria"),
        "data_changed": _("Data on the certificate are wrong or have changed"),
        "ict_support_lapsed": _("The ICT support for the certificate has lapsed"),
        "user_left": _("The user has left the organisation"),
        "key_compromise": _("The private key is compromised or lost"),
    }
    return labels.get(reason, reason)


def choices() -> list[tuple[str, str]]:
    return [(r, label(r)) for r in CHOOSABLE]
