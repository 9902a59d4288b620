"""Applications for certificates: every query of CertificateApplication."""

from __future__ import annotations

from typing import Any

from src.certificates.repository._counting import readable_count
from src.certificates.tables import CertificateApplication
from src.core.tenancy import Actor, TenantScope, readable

COLUMNS = (
    CertificateApplication.id,
    CertificateApplication.organisation,
    CertificateApplication.organisation.name.as_alias("organisation_name"),
    CertificateApplication.kind,
    CertificateApplication.status,
    CertificateApplication.csr_pem,
    CertificateApplication.public_key_sha256,
    CertificateApplication.dns_names,
    CertificateApplication.holder,
    CertificateApplication.holder.name.as_alias("holder_name"),
    CertificateApplication.holder.email.as_alias("holder_email"),
    CertificateApplication.holder.person.as_alias("holder_person_id"),
    CertificateApplication.lsp_connection,
    CertificateApplication.renewal_of_number,
    CertificateApplication.submitted_by.name.as_alias("submitted_by_name"),
    CertificateApplication.submitted_at,
    CertificateApplication.reviewed_by.name.as_alias("reviewed_by_name"),
    CertificateApplication.reviewed_at,
    CertificateApplication.rejection_reason,
)


async def pending_names(scope: TenantScope) -> list[dict[str, Any]]:
    """The organisation's pending applications with their DNS names."""
    return await scope.select(
        CertificateApplication, CertificateApplication.id, CertificateApplication.dns_names
    ).where(CertificateApplication.status == "pending")


async def add_application(scope: TenantScope, **values: Any) -> dict[str, Any]:
    rows = await CertificateApplication.insert(
        CertificateApplication(organisation=scope.organisation_id, **values)
    ).returning(*CertificateApplication.all_columns())
    return rows[0]


async def organisation_applications(scope: TenantScope) -> list[dict[str, Any]]:
    return await scope.select(CertificateApplication, *COLUMNS).order_by(
        CertificateApplication.id, ascending=False
    )


async def organisation_application(scope: TenantScope, application_id: int) -> dict[str, Any]:
    return await scope.get(CertificateApplication, application_id, *COLUMNS)


async def application_row(actor: Actor, application_id: int) -> dict[str, Any] | None:
    """The application as stored (every column), when the actor may see it."""
    return (
        await readable(actor, CertificateApplication)
        .where(CertificateApplication.id == application_id)
        .first()
    )


async def application(actor: Actor, application_id: int) -> dict[str, Any] | None:
    """The application with its names (COLUMNS), when the actor may see it."""
    return (
        await readable(actor, CertificateApplication, *COLUMNS)
        .where(CertificateApplication.id == application_id)
        .first()
    )


async def claim_pending(actor: Actor, application_id: int, values: dict[Any, Any]) -> bool:
    """Move a pending application on (the caller read it with `application_row`); False when a
    concurrent review moved it first."""
    claimed = await (
        CertificateApplication.update(values)
        .where(CertificateApplication.id == application_id)
        .where(CertificateApplication.status == "pending")
        .returning(CertificateApplication.id)
    )
    return bool(claimed)


async def review_queue(actor: Actor, status: str = "") -> list[dict[str, Any]]:
    select = readable(actor, CertificateApplication, *COLUMNS)
    if status:
        select = select.where(CertificateApplication.status == status)
    return await select.order_by(CertificateApplication.submitted_at).limit(500)


async def pending_count(actor: Actor | None) -> int:
    """Pending applications the actor may see (every organisation's for a vendor admin)."""
    query = CertificateApplication.count() if actor is None else readable_count(actor, CertificateApplication)
    return await query.where(CertificateApplication.status == "pending")


async def renewal_of_number(actor: Actor, application_id: int) -> str | None:
    """The number of the certificate this application renews, if any."""
    row = (
        await readable(actor, CertificateApplication, CertificateApplication.renewal_of_number)
        .where(CertificateApplication.id == application_id)
        .first()
    )
    return row["renewal_of_number"] if row else None
