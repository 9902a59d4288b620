"""API shapes for an organisation's customer agreement (rules AG-1, AG-9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from src.core.ids import Id


class AgreementDocumentOut(msgspec.Struct):
    """A published version of an agreement document, with the SHA-256 of each language's text."""

    id: int
    kind: str
    version: int
    title: str
    effective_on: dt.date
    accept_by: dt.date
    sha256: dict[str, str]
    accepted: bool

    @classmethod
    def from_row(cls, d: dict[str, Any]) -> AgreementDocumentOut:
        return cls(
            id=d["id"],
            kind=d["kind"],
            version=d["version"],
            title=d["title"],
            effective_on=d["effective_on"],
            accept_by=d["accept_by"],
            sha256={loc: d[f"sha256_{loc}"] for loc in ("nl", "sv", "en")},
            accepted=bool(d.get("accepted", False)),
        )


class SignedDocument(msgspec.Struct):
    id: int
    kind: str
    version: int
    title: str
    sha256: dict[str, str]


class Acceptance(msgspec.Struct):
    """One signing: the versions and hashes signed, the signer, the time, the client address and
    the SHA-256 of the PDF copy (download it from `pdf_url`)."""

    id: int
    signer_name: str
    signed_at: dt.datetime
    client_address: str
    documents: list[SignedDocument]
    pdf_sha256: str
    pdf_url: str

    @classmethod
    def from_row(cls, a: dict[str, Any]) -> Acceptance:
        return cls(
            id=a["id"],
            signer_name=a["signer_name"],
            signed_at=a["signed_at"],
            client_address=a["client_address"],
            documents=[
                SignedDocument(
                    id=int(d["id"]),
                    kind=d["kind"],
                    version=int(d["version"]),
                    title=d["title"],
                    sha256=d["sha256"],
                )
                for d in a["documents"]
            ],
            pdf_sha256=a["pdf_sha256"],
            pdf_url=f"/api/v1/organisations/{a['organisation']}/agreement/acceptances/{a['id']}/pdf",
        )


class Agreement(msgspec.Struct):
    """The organisation's agreement: `status` is "none" (never signed), "current" (the latest
    versions are accepted), "action_needed" (a newer version is to be accepted by `accept_by`) or
    "overdue" (it was not accepted by then). `documents` are the latest versions; `signed` the
    latest acceptance (signer, time); `acceptances` all of them, newest first."""

    status: str
    valid: bool
    accept_by: dt.date | None
    documents: list[AgreementDocumentOut]
    signed: Acceptance | None
    acceptances: list[Acceptance]


class SignAgreement(msgspec.Struct, forbid_unknown_fields=True):
    """Sign the latest documents. `document_ids`: the versions you read; if one has been
    superseded meanwhile nothing is signed (409)."""

    document_ids: list[Id] | None = None
