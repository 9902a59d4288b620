"""Queries of agreement acceptances: what an organisation signed, by whom, when (rule AG-9)."""

from __future__ import annotations

from typing import Any

from src.core.tenancy import Actor, TenantScope, readable
from src.tenants.tables import AgreementAcceptance

ACCEPTANCE_COLUMNS = (
    AgreementAcceptance.id,
    AgreementAcceptance.organisation,
    AgreementAcceptance.signer,
    AgreementAcceptance.signer_name,
    AgreementAcceptance.signer_email,
    AgreementAcceptance.signed_at,
    AgreementAcceptance.client_address,
    AgreementAcceptance.locale,
    AgreementAcceptance.documents,
    AgreementAcceptance.pdf_sha256,
)


async def acceptances(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's acceptances, newest first, without the PDF bytes."""
    return await (
        scope.select(AgreementAcceptance, *ACCEPTANCE_COLUMNS)
        .order_by(AgreementAcceptance.signed_at, ascending=False)
        .order_by(AgreementAcceptance.id, ascending=False)
    )


async def acceptance(scope: TenantScope, acceptance_id: int) -> dict[str, Any] | None:
    return await (
        scope.select(AgreementAcceptance, *ACCEPTANCE_COLUMNS)
        .where(AgreementAcceptance.id == acceptance_id)
        .first()
    )


async def acceptance_pdf(scope: TenantScope, acceptance_id: int) -> Any:
    """The PDF copy made when the organisation signed (NotFound for another organisation's)."""
    row = await scope.get(AgreementAcceptance, acceptance_id, AgreementAcceptance.pdf)
    return row["pdf"]


async def accepted_documents(actor: Actor) -> list[dict[str, Any]]:
    """Organisation and documents of every acceptance the actor reads (every organisation's for
    a vendor admin)."""
    return await readable(
        actor, AgreementAcceptance, AgreementAcceptance.organisation, AgreementAcceptance.documents
    )


async def insert_acceptance(scope: TenantScope, **values: Any) -> int:
    """The organisation's acceptance; its id. Never changed afterwards."""
    created = await AgreementAcceptance.insert(
        AgreementAcceptance(organisation=scope.organisation_id, **values)
    ).returning(AgreementAcceptance.id)
    return int(created[0]["id"])
