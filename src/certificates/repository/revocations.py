"""Revocations and the revocation requests received by post or e-mail, with their scans."""

from __future__ import annotations

from typing import Any

from src.certificates.repository._counting import readable_count
from src.certificates.tables import EvidenceFile, ManualRevocationRequest, Revocation
from src.core.tenancy import Actor, TenantScope, readable


async def add_revocation(scope: TenantScope, **values: Any) -> int:
    """The revocation of one of the organisation's certificates (the caller read it in `scope`)."""
    rows = await Revocation.insert(Revocation(**values)).returning(Revocation.id)
    return int(rows[0]["id"])


async def revocations_by_reason(actor: Actor) -> list[dict[str, Any]]:
    """When and why, of every revocation the actor may see."""
    return await readable(actor, Revocation, Revocation.revoked_at, Revocation.reason)


# --- requests by post or e-mail (vendor admins) ----------------------------------------------


async def add_request(actor: Actor, evidence: list[dict[str, Any]], **values: Any) -> int:
    """A request with its scans; the certificate it names was read by `actor`."""
    rows = await ManualRevocationRequest.insert(ManualRevocationRequest(**values)).returning(
        ManualRevocationRequest.id
    )
    request_id = int(rows[0]["id"])
    for file in evidence:
        await EvidenceFile.insert(EvidenceFile(request=request_id, **file))
    return request_id


async def request(actor: Actor, request_id: int) -> dict[str, Any] | None:
    certificate: Any = ManualRevocationRequest.certificate  # joins further than piccolo's types see
    return (
        await readable(
            actor,
            ManualRevocationRequest,
            *ManualRevocationRequest.all_columns(),
            ManualRevocationRequest.recorded_by.name.as_alias("recorded_by_name"),
            ManualRevocationRequest.executed_by.name.as_alias("executed_by_name"),
            certificate.organisation.name.as_alias("organisation_name"),
            certificate.organisation.agb_code.as_alias("organisation_agb_code"),
            certificate.organisation.kvk_number.as_alias("organisation_kvk_number"),
            certificate.holder.name.as_alias("holder_name"),
            certificate.revoked_at.as_alias("certificate_revoked_at"),
        )
        .where(ManualRevocationRequest.id == request_id)
        .first()
    )


async def evidence_of(actor: Actor, request_id: int) -> list[dict[str, Any]]:
    return list(
        await readable(actor, EvidenceFile)
        .where(EvidenceFile.request == request_id)
        .order_by(EvidenceFile.id)
    )


async def evidence_file(actor: Actor, request_id: int, file_id: int) -> dict[str, Any] | None:
    return (
        await readable(actor, EvidenceFile)
        .where(EvidenceFile.id == file_id)
        .where(EvidenceFile.request == request_id)
        .first()
    )


async def requests(actor: Actor, status: str = "") -> list[dict[str, Any]]:
    certificate: Any = ManualRevocationRequest.certificate
    select = readable(
        actor,
        ManualRevocationRequest,
        *ManualRevocationRequest.all_columns(),
        certificate.organisation.name.as_alias("organisation_name"),
    )
    if status:
        select = select.where(ManualRevocationRequest.status == status)
    return await select.order_by(ManualRevocationRequest.recorded_at, ascending=False).limit(500)


async def awaiting_count(actor: Actor) -> int:
    return await readable_count(actor, ManualRevocationRequest).where(
        ManualRevocationRequest.status == "awaiting"
    )


async def update_request(
    actor: Actor, request_id: int, values: dict[Any, Any], *, only_awaiting: bool = False
) -> bool:
    """Change a request the actor read with `request`; with only_awaiting, False when it was
    handled meanwhile."""
    query = ManualRevocationRequest.update(values).where(ManualRevocationRequest.id == request_id)
    if not only_awaiting:
        await query
        return True
    claimed = await query.where(ManualRevocationRequest.status == "awaiting").returning(
        ManualRevocationRequest.id
    )
    return bool(claimed)
