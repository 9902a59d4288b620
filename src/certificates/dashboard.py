"""Reading certificates: the organisation's list and detail, and the vendor admin's dashboard.

Status of a certificate, as people see it: "revoked" (REV-2, for ever), "expired",
"expiring" (within 60 days of its end, when the renewal letter goes out, CRT-2) or "valid"."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.certificates.tables import (
    Certificate,
    CertificateApplication,
    ManualRevocationRequest,
    Revocation,
)
from src.core.errors import NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin

EXPIRING_DAYS = 60  # rule CRT-2

_COLUMNS = (
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


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(v) for v in (value or [])]


def status_of(row: dict[str, Any], now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    if row.get("revoked_at") is not None:
        return "revoked"
    if row["not_after"] <= now:
        return "expired"
    if row["not_after"] <= now + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def status_labels() -> dict[str, str]:
    return {
        "valid": _("valid"),
        "expiring": _("expiring within 60 days"),
        "expired": _("expired"),
        "revoked": _("revoked"),
    }


def kind_labels() -> dict[str, str]:
    return {"server": _("Server certificate"), "personal": _("Personal certificate")}


def present(row: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    row = dict(row)
    row["dns_names"] = _names(row.get("dns_names"))
    row["status"] = status_of(row, now)
    row["status_label"] = status_labels()[row["status"]]
    row["kind_label"] = kind_labels().get(row["kind"], row["kind"])
    row["can_renew"] = row["status"] in ("valid", "expiring", "expired")
    row["can_revoke"] = row["status"] in ("valid", "expiring")
    return row


async def organisation_certificates(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's certificates for its contact persons (and vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await scope.select(Certificate, *_COLUMNS).order_by(Certificate.not_after)
    now = dt.datetime.now(dt.UTC)
    order = {"expiring": 0, "valid": 1, "expired": 2, "revoked": 3}
    return sorted((present(r, now) for r in rows), key=lambda r: (order[r["status"]], r["not_after"]))


async def certificate_by_number(actor: Actor, number: str) -> dict[str, Any]:
    """One certificate, for the contact persons of its organisation or a vendor admin;
    another organisation's certificate is not found (404)."""
    row = await Certificate.select(*_COLUMNS, Certificate.pem).where(Certificate.number == number).first()
    if row is None:
        raise NotFound()
    scope = TenantScope(actor, row["organisation"])
    scope.require_contact_person()
    result = present(row)
    revocation = await Revocation.select().where(Revocation.certificate == row["id"]).first()
    result["revocation"] = revocation
    return result


async def chain_of(certificate_id: int) -> str:
    """The certificate's issuing CA chain (PEM), from the CA that issued it."""
    from src.certificates import pki

    row = await Certificate.select(Certificate.issuer).where(Certificate.id == certificate_id).first()
    if row is None:
        raise NotFound()
    issuer = await pki.get_ca(row["issuer"])
    if issuer is None:
        raise NotFound()
    return await pki.chain_pem(issuer)


# --- vendor admin dashboard ---------------------------------------------------------------------


async def admin_dashboard(actor: Actor) -> dict[str, Any]:
    """Pending applications, certificates expiring within 60 days, revocations by reason and
    month, manual revocation requests awaiting execution."""
    from src.certificates import applications

    require_vendor_admin(actor)
    now = dt.datetime.now(dt.UTC)
    pending = await applications.review_queue(actor, status="pending")
    expiring = [
        present(r, now)
        for r in await Certificate.select(*_COLUMNS)
        .where(Certificate.revoked_at.is_null())
        .where(Certificate.not_after > now)
        .where(Certificate.not_after <= now + dt.timedelta(days=EXPIRING_DAYS))
        .order_by(Certificate.not_after)
        .limit(500)
    ]
    revocations = await Revocation.select(Revocation.revoked_at, Revocation.reason)
    counts: dict[tuple[str, str], int] = {}
    for r in revocations:
        month = r["revoked_at"].astimezone(dt.UTC).strftime("%Y-%m")
        counts[(month, r["reason"])] = counts.get((month, r["reason"]), 0) + 1
    months = sorted({m for m, _r in counts}, reverse=True)
    reasons = sorted({r for _m, r in counts})
    awaiting = await (
        ManualRevocationRequest.select(
            ManualRevocationRequest.id,
            ManualRevocationRequest.certificate_number,
            ManualRevocationRequest.received_via,
            ManualRevocationRequest.received_on,
            ManualRevocationRequest.requester_name,
            ManualRevocationRequest.recorded_at,
        )
        .where(ManualRevocationRequest.status == "awaiting")
        .order_by(ManualRevocationRequest.recorded_at)
    )
    return {
        "pending": pending,
        "expiring": expiring,
        "revocation_months": months,
        "revocation_reasons": reasons,
        "revocation_counts": {f"{m}|{r}": n for (m, r), n in counts.items()},
        "revocation_total": len(revocations),
        "awaiting": list(awaiting),
    }


async def pending_application_count() -> int:
    return await CertificateApplication.count().where(CertificateApplication.status == "pending")
