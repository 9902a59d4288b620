"""API shapes of the certificates domain: applications, review, certificates, reimbursement, and
revocation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from src.core.ids import Id


class NewApplication(msgspec.Struct, forbid_unknown_fields=True):
    """An application for a certificate. `kind` "server" (default) needs `dns_names` (each in the
    CSR's subject alternative names or common name, no wildcards); "personal" is for one user
    of the organisation (`holder_user_id`) and has no DNS names. Bad input answers 422 naming
    the field; nothing is stored."""

    csr_pem: Annotated[
        str, Meta(description="One PEM certificate signing request (RSA >= 2048, EC P-256/P-384)")
    ]
    holder_user_id: Annotated[
        Id, Meta(description="The certificate holder: a user (membership id) of the organisation")
    ]
    kind: Annotated[str, Meta(description='"server" or "personal"', examples=["server"])] = "server"
    dns_names: Annotated[list[str], Meta(description="Server only: the DNS names")] = msgspec.field(
        default_factory=list
    )
    lsp_connection: Annotated[
        bool, Meta(description="Server only: for a connection to the national switch point (LSP)")
    ] = False
    renewal_of_number: str | None = None


class Application(msgspec.Struct):
    id: int
    organisation_id: int
    kind: str
    status: str
    dns_names: list[str]
    holder_user_id: int | None
    holder_name: str | None
    lsp_connection: bool
    renewal_of_number: str | None
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    rejection_reason: str
    certificate_number: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any], certificate_number: str | None = None) -> Application:
        return cls(
            id=row["id"],
            organisation_id=row["organisation"],
            kind=row["kind"],
            status=row["status"],
            dns_names=list(row["dns_names"]),
            holder_user_id=row["holder"],
            holder_name=row.get("holder_name"),
            lsp_connection=row["lsp_connection"],
            renewal_of_number=row.get("renewal_of_number"),
            submitted_at=row["submitted_at"],
            reviewed_at=row.get("reviewed_at"),
            rejection_reason=row.get("rejection_reason") or "",
            certificate_number=certificate_number,
        )


class Rejection(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(description="Why the application is rejected; the organisation reads it")]


class IssuedCertificate(msgspec.Struct):
    number: str
    serial_hex: str
    not_before: dt.datetime
    not_after: dt.datetime
    pem: str
    chain_pem: str


class ApprovalAnswer(msgspec.Struct):
    """The approved application and its certificate. `revocation_code` appears here this once
    (rule CRT-4); it is stored only as a hash and mailed to the contact persons in the letter."""

    application: Application
    certificate: IssuedCertificate
    revocation_code: str


class Certificate(msgspec.Struct):
    number: str
    organisation_id: int
    kind: str
    status: Annotated[str, Meta(description='"valid", "expiring" (within 60 days), "expired" or "revoked"')]
    serial_hex: str
    subject: str
    dns_names: list[str]
    holder_user_id: int | None
    holder_name: str | None
    needs_new_holder: bool
    not_before: dt.datetime
    not_after: dt.datetime
    lsp_connection: bool
    reimbursed_by: str
    revoked_at: dt.datetime | None
    pem: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any], with_pem: bool = False) -> Certificate:
        return cls(
            number=row["number"],
            organisation_id=row["organisation"],
            kind=row["kind"],
            status=row["status"],
            serial_hex=row["serial_hex"],
            subject=row["subject_dn"],
            dns_names=list(row["dns_names"]),
            holder_user_id=row["holder"],
            holder_name=row.get("holder_name"),
            needs_new_holder=row["needs_new_holder"],
            not_before=row["not_before"],
            not_after=row["not_after"],
            lsp_connection=row["lsp_connection"],
            reimbursed_by=row.get("reimbursed_by") or "",
            revoked_at=row.get("revoked_at"),
            pem=row.get("pem") if with_pem else None,
        )


class Reimbursement(msgspec.Struct, forbid_unknown_fields=True):
    reimbursed_by: Annotated[str, Meta(description="The reimbursing party", examples=["VZVZ"])] = "VZVZ"


class RevokeRequest(msgspec.Struct):
    reason: str = msgspec.field()
    """One of: organisation_ceased, criteria_not_met, data_changed, ict_support_lapsed,
    user_left, key_compromise (rule REV-3)."""
    organisation_identifier: str | None = None
    """The organisation's AGB code; for a Swedish organisation its organisationsnummer (rule
    REV-7). Required from a contact person."""
    user_number: Id | None = None
    """For a personal certificate: the number of the user it is for (rule REV-7). Required from
    a contact person."""
    user_name: str | None = None
    """For a personal certificate: the name of the user it is for (rule REV-7). Required from a
    contact person."""


class RevocationResult(msgspec.Struct):
    number: str
    serial_hex: str
    revoked_at: dt.datetime
    reason: str
    reason_code: int
    channel: str
    organisation_name: str
    organisation_identifier: str
    user_number: int | None
    user_name: str | None
