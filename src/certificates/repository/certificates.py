"""Certificates: every query of Certificate outside the system modules (OCSP, CRL, the public
revocation with number and code, the renewal and confirmation letters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query import Select

from src.certificates.repository._counting import readable_count
from src.certificates.tables import Certificate, Revocation
from src.core.tenancy import Actor, TenantScope, readable

COLUMNS = (
    Certificate.id,
    Certificate.number,
    Certificate.organisation,
    Certificate.organisation.name.as_alias("organisation_name"),
    Certificate.organisation.country.as_alias("organisation_country"),
    Certificate.application,
    Certificate.kind,
    Certificate.serial_hex,
    Certificate.subject_dn,
    Certificate.dns_names,
    Certificate.holder,
    Certificate.holder.name.as_alias("holder_name"),
    Certificate.holder.email.as_alias("holder_email"),
    Certificate.holder.active.as_alias("holder_active"),
    Certificate.needs_new_holder,
    Certificate.not_before,
    Certificate.not_after,
    Certificate.lsp_connection,
    Certificate.reimbursement_confirmed_at,
    Certificate.reimbursed_by,
    Certificate.revoked_at,
    Certificate.created_at,
)


# --- reads ------------------------------------------------------------------------------------


async def organisation_certificates(scope: TenantScope) -> list[dict[str, Any]]:
    return await scope.select(Certificate, *COLUMNS).order_by(Certificate.not_after)


def listed(actor: Actor) -> Select[Certificate]:
    """The certificates of the lists and the search, for the filters of the caller."""
    return readable(actor, Certificate, *COLUMNS)


def counted(actor: Actor) -> Any:
    return readable_count(actor, Certificate)


async def by_number(actor: Actor, number: str) -> dict[str, Any] | None:
    """One certificate with its PEM, when the actor may see it."""
    return (
        await readable(actor, Certificate, *COLUMNS, Certificate.pem)
        .where(Certificate.number == number)
        .first()
    )


async def revocation_of(actor: Actor, certificate_id: int) -> dict[str, Any] | None:
    return await readable(actor, Revocation).where(Revocation.certificate == certificate_id).first()


async def issuer_of(actor: Actor, certificate_id: int) -> int | None:
    row = (
        await readable(actor, Certificate, Certificate.issuer).where(Certificate.id == certificate_id).first()
    )
    return int(row["issuer"]) if row else None


async def certificate(actor: Actor, certificate_id: int) -> dict[str, Any] | None:
    """The certificate as stored (every column), when the actor may see it."""
    return await readable(actor, Certificate).where(Certificate.id == certificate_id).first()


async def certificate_by_number(actor: Actor, number: str) -> dict[str, Any] | None:
    """The certificate as stored (every column), when the actor may see it."""
    return await readable(actor, Certificate).where(Certificate.number == number).first()


async def number_by_application(actor: Actor, application_id: int) -> str | None:
    row = (
        await readable(actor, Certificate, Certificate.number)
        .where(Certificate.application == application_id)
        .first()
    )
    return row["number"] if row else None


async def in_force_of_holder(scope: TenantScope, membership_id: int) -> list[dict[str, Any]]:
    """The holder's certificates in the organisation that are not revoked (id, kind)."""
    return await (
        scope.select(Certificate, Certificate.id, Certificate.kind)
        .where(Certificate.holder == membership_id)
        .where(Certificate.revoked_at.is_null())
    )


async def holds_valid_personal_certificate(membership_id: int) -> bool:
    """A personal certificate held by this membership, not revoked and not expired (rule MOD-5).
    The tenants domain asks with the membership of a row it read in its own scope."""
    return bool(
        await Certificate.exists()
        .where(Certificate.kind == "personal")
        .where(Certificate.holder == membership_id)
        .where(Certificate.revoked_at.is_null())
        .where(Certificate.not_after > dt.datetime.now(dt.UTC))
    )


async def reimbursed_in_force(scope: TenantScope, other_than: int, now: dt.datetime) -> list[dict[str, Any]]:
    """The organisation's other certificates in force whose reimbursement was confirmed."""
    return await (
        scope.select(Certificate, Certificate.id, Certificate.number, Certificate.dns_names)
        .where(Certificate.id != other_than)
        .where(Certificate.reimbursement_confirmed_at.is_not_null())
        .where(Certificate.revoked_at.is_null())
        .where(Certificate.not_after > now)
    )


async def last_number(prefix: str) -> str | None:
    """The highest certificate number with this prefix (S-2026-, P-2026-): numbers run on over
    every organisation, so only the number is read, never a row of theirs."""
    row = (
        await Certificate.select(Certificate.number)
        .where(Certificate.number.like(prefix + "%"))
        .order_by(Certificate.number, ascending=False)
        .first()
    )
    return row["number"] if row else None


# --- writes -----------------------------------------------------------------------------------


async def add_certificate(scope: TenantScope, **values: Any) -> int:
    rows = await Certificate.insert(Certificate(organisation=scope.organisation_id, **values)).returning(
        Certificate.id
    )
    return int(rows[0]["id"])


async def mark_revoked(scope: TenantScope, certificate_id: int, revoked_at: dt.datetime) -> bool:
    """Set the moment of revocation unless it was revoked meanwhile (False then)."""
    claimed = (
        await Certificate.update({Certificate.revoked_at: revoked_at})
        .where(Certificate.id == certificate_id)
        .where(Certificate.organisation == scope.organisation_id)
        .where(Certificate.revoked_at.is_null())
        .returning(Certificate.id)
    )
    return bool(claimed)


async def revoked_at(scope: TenantScope, certificate_id: int) -> dt.datetime | None:
    row = (
        await scope.select(Certificate, Certificate.revoked_at)
        .where(Certificate.id == certificate_id)
        .first()
    )
    return row["revoked_at"] if row else None


async def mark_needing_new_holder(scope: TenantScope, certificate_ids: list[int]) -> None:
    await (
        Certificate.update({Certificate.needs_new_holder: True})
        .where(Certificate.id.is_in(certificate_ids))
        .where(Certificate.organisation == scope.organisation_id)
    )


async def confirm_reimbursement(
    scope: TenantScope, certificate_id: int, now: dt.datetime, reimbursed_by: str
) -> None:
    await (
        Certificate.update(
            {Certificate.reimbursement_confirmed_at: now, Certificate.reimbursed_by: reimbursed_by}
        )
        .where(Certificate.id == certificate_id)
        .where(Certificate.organisation == scope.organisation_id)
    )
