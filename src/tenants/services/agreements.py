"""Customer agreements: organisations signing them (the documents: agreement_documents.py).

Rules: AG-1 (a service needs a signed customer agreement and a subscription), AG-9 (the
agreement set: general terms, processor agreement, service descriptions; what was signed, by
whom, when, stays provable).

- The documents to sign are the latest published version of each kind.
- A contact person with `may_sign_agreements` signs them for the organisation (`sign`). The
  acceptance keeps the versions and hashes, the signer, the time, the client address and a PDF
  copy made at that moment; it is never changed afterwards. A newer version makes the
  organisation "asked to accept by" its date; older acceptances stay on record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from src.core import audit, db, events
from src.core.errors import Conflict, Forbidden, NotFound
from src.core.i18n import LOCALES, _, current_locale, timezone_for
from src.core.pdf import render_pdf
from src.core.tenancy import CONTACT_PERSON, Actor, TenantScope
from src.tenants.repository import agreements as repository
from src.tenants.repository import memberships
from src.tenants.services.agreement_documents import (
    _documents_of,
    _in_reader_language,
    kind_label,
    latest_documents,
)
from src.tenants.tables import Organisation

# What an organisation's agreement status means.
NONE = "none"  # never signed
CURRENT = "current"  # signed the latest version of every document
ACTION_NEEDED = "action_needed"  # a newer version is to be accepted, its accept-by date not passed
OVERDUE = "overdue"  # a newer version was not accepted by its accept-by date


def _today(country: str | None = None) -> dt.date:
    return dt.datetime.now(timezone_for(country)).date()


# --- an organisation's agreement ------------------------------------------------------------


@dataclass
class AgreementStatus:
    status: str
    documents: list[dict[str, Any]]  # latest per kind, each with "accepted"
    pending: list[dict[str, Any]]
    accept_by: dt.date | None
    acceptances: list[dict[str, Any]]  # newest first, without the PDF bytes
    latest: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        """Counts as a signed customer agreement (rule AG-1)."""
        return self.status in (CURRENT, ACTION_NEEDED)


async def _status(scope: TenantScope, country: str | None) -> AgreementStatus:
    acceptances = await repository.acceptances(scope)
    for a in acceptances:
        a["documents"] = _documents_of(a)
    accepted_ids = {int(d["id"]) for a in acceptances for d in a["documents"]}
    documents = [{**d, "accepted": d["id"] in accepted_ids} for d in await latest_documents()]
    pending = [d for d in documents if not d["accepted"]]
    accept_by = min((d["accept_by"] for d in pending), default=None)
    if not acceptances:
        status = NONE
    elif not pending:
        status = CURRENT
    elif accept_by is not None and accept_by < _today(country):
        status = OVERDUE
    else:
        status = ACTION_NEEDED
    return AgreementStatus(
        status=status,
        documents=documents,
        pending=pending,
        accept_by=accept_by,
        acceptances=acceptances,
        latest=acceptances[0] if acceptances else None,
    )


async def agreement_status(actor: Actor, organisation_id: int) -> AgreementStatus:
    """The organisation's agreement: its members and vendor admins may read it."""
    scope = TenantScope(actor, organisation_id)
    organisation = await _organisation(organisation_id)
    status = await _status(scope, organisation["country"])
    await _in_reader_language([d for a in status.acceptances for d in a["documents"]])
    return status


async def has_valid_agreement(actor: Actor, organisation_id: int, country: str | None = None) -> bool:
    """Rule AG-1, for the compliance checks. `country`: the organisation's, when the caller
    knows it, saves reading it."""
    scope = TenantScope(actor, organisation_id)
    if country is None:
        country = (await _organisation(organisation_id))["country"]
    return (await _status(scope, country)).valid


async def _organisation(organisation_id: int) -> dict[str, Any]:
    row = await Organisation.select().where(Organisation.id == organisation_id).first()
    if row is None:
        raise NotFound()
    return row


async def may_sign(actor: Actor, organisation_id: int) -> bool:
    """An active contact person of this organisation marked as authorised to sign."""
    if actor.organisation_id != organisation_id or actor.membership_id is None:
        return False
    row = await memberships.signing_authority(TenantScope(actor, organisation_id), actor.membership_id)
    return bool(row and row["active"] and row["role"] == CONTACT_PERSON and row["may_sign_agreements"])


async def sign(actor: Actor, organisation_id: int, document_ids: list[int] | None = None) -> dict[str, Any]:
    """The authorised contact person signs the latest documents for the organisation.

    `document_ids` are the versions the signer read: when a newer version was published in
    between, nothing is signed (Conflict), so nobody signs a text they did not see."""
    scope = TenantScope(actor, organisation_id)
    if not await may_sign(actor, organisation_id):
        raise Forbidden(
            _(
                "Only a contact person authorised to sign agreements can sign for the organisation. "
                "Ask a contact person to authorise you."
            )
        )
    organisation = await _organisation(organisation_id)
    status = await _status(scope, organisation["country"])
    documents = status.documents
    if not documents:
        raise Conflict(_("There are no agreement documents to sign yet."))
    current_ids = sorted(d["id"] for d in documents)
    if document_ids is not None and sorted(set(document_ids)) != current_ids:
        raise Conflict(
            _("The agreement documents have changed since you opened them. Read them again before signing.")
        )
    if not status.pending:
        raise Conflict(_("Your organisation has already accepted the current agreement documents."))
    signer = await memberships.name_and_email(scope, actor.membership_id) or {"name": actor.name, "email": ""}
    signed_at = dt.datetime.now(dt.UTC)
    locale = current_locale.get()
    snapshot = [
        {
            "id": d["id"],
            "kind": d["kind"],
            "version": d["version"],
            "title": d["title"],
            "effective_on": d["effective_on"].isoformat(),
            "sha256": {loc: d[f"sha256_{loc}"] for loc in LOCALES},
        }
        for d in documents
    ]
    pdf = await render_pdf(
        "tenants/pdf_agreement.html",
        {
            "organisation": organisation,
            "documents": documents,
            "signer": signer,
            "signed_at": signed_at,
            "client_address": actor.client_address,
            "kind_label": kind_label,
        },
    )
    async with db.transaction():
        acceptance_id = await repository.insert_acceptance(
            scope,
            signer=actor.membership_id,
            signer_name=signer["name"],
            signer_email=signer["email"],
            signed_at=signed_at,
            client_address=actor.client_address[:64],
            locale=locale,
            documents=snapshot,
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )
        await audit.record(
            actor,
            "agreements.signed",
            organisation_id=organisation_id,
            object_type="agreement_acceptance",
            object_id=acceptance_id,
            after={"documents": snapshot, "pdf_sha256": hashlib.sha256(pdf).hexdigest()},
        )
        await events.publish(
            events.AGREEMENT_SIGNED, actor=actor, organisation_id=organisation_id, acceptance_id=acceptance_id
        )
    row = await repository.acceptance(scope, acceptance_id)
    assert row is not None
    row["documents"] = _documents_of(row)
    return row


async def acceptance_pdf(actor: Actor, organisation_id: int, acceptance_id: int) -> bytes:
    """The PDF copy made when the organisation signed (its members and vendor admins)."""
    pdf = await repository.acceptance_pdf(TenantScope(actor, organisation_id), acceptance_id)
    return bytes(pdf) if not isinstance(pdf, bytes) else pdf


# --- who may sign ---------------------------------------------------------------------------


async def signers(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The active contact persons and whether each may sign (contact persons, vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return await memberships.signers(scope)
