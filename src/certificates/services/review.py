"""Review of applications by the vendor's administrators (rule CRT-3): approve (the CA issues,
the fee follows, the confirmation letter is queued) or reject with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from src.certificates.repository import applications as application_rows
from src.certificates.repository import certificates as certificate_rows
from src.certificates.repository import people
from src.certificates.services import confirmation, pki
from src.certificates.services.applications import _json_list, present
from src.certificates.services.csr import read_csr
from src.certificates.services.issuance import issue_certificate
from src.certificates.tables import CertificateApplication
from src.core import audit, db, events
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions.services import charges
from src.tenants.tables import Organisation

# --- review (rule CRT-3) --------------------------------------------------------------------------


@dataclass
class Approval:
    application: dict[str, Any]
    certificate: Any  # issuance.IssuedCertificate
    charge: dict[str, Any] | None


async def _claim_pending(actor: Actor, application_id: int, status: str, reason: str = "") -> dict[str, Any]:
    """Move a pending application to `status`; a reviewed one (or a concurrent review) conflicts."""
    row = await application_rows.application_row(actor, application_id)
    if row is None:
        raise NotFound()
    if row["status"] != "pending":
        raise Conflict(
            _("This application was already reviewed (%(status)s).", status=status_label(row["status"]))
        )
    claimed = await application_rows.claim_pending(
        actor,
        application_id,
        {
            CertificateApplication.status: status,
            CertificateApplication.reviewed_by: actor.person_id or None,
            CertificateApplication.reviewed_at: dt.datetime.now(dt.UTC),
            CertificateApplication.rejection_reason: reason,
        },
    )
    if not claimed:
        raise Conflict(_("This application was already reviewed."))
    return row


def status_label(status: str) -> str:
    return {"pending": _("pending"), "approved": _("approved"), "rejected": _("rejected")}.get(status, status)


async def approve(actor: Actor, application_id: int) -> Approval:
    """A vendor admin approves: the CA issues the certificate, the fee is charged (BIL-1, BIL-2)
    and the confirmation letter with the revocation code is queued (CRT-4), all in one
    transaction."""
    require_vendor_admin(actor)
    async with db.transaction():
        row = await _claim_pending(actor, application_id, "approved")
        organisation = await Organisation.select().where(Organisation.id == row["organisation"]).first()
        if organisation is None:
            raise NotFound()
        if organisation["status"] != "active":
            raise Conflict(_("The organisation is suspended; its applications cannot be approved now."))
        holder = None
        if row["holder"] is not None:
            holder = await people.member(TenantScope(actor, row["organisation"]), row["holder"])
            if holder is None or not holder["active"]:
                raise Conflict(
                    _(
                        "The certificate holder is no longer active in the organisation; "
                        "reject the application."
                    )
                )
        csr = x509.load_pem_x509_csr(row["csr_pem"].encode("ascii"))
        names = _json_list(row["dns_names"])
        issued = await issue_certificate(
            organisation=organisation,
            kind=row["kind"],
            csr=csr,
            dns_names=names,
            holder=holder,
            application_id=application_id,
            lsp_connection=row["lsp_connection"],
            actor=actor,
        )
        # The fee (rules BIL-1, BIL-2) follows in the subscriptions domain.
        await events.publish(
            events.CERTIFICATE_ISSUED,
            actor=actor,
            organisation=organisation,
            certificate_id=issued.certificate_id,
            kind=row["kind"],
            number=issued.number,
            issued_at=issued.not_before,
        )
        charge = await charges.certificate_charge(issued.certificate_id)
        await confirmation.queue_confirmation(issued.certificate_id, issued.revocation_code)
        await audit.record(
            actor,
            "certificates.application_approved",
            organisation_id=row["organisation"],
            object_type="certificate_application",
            object_id=application_id,
            before={"status": "pending"},
            after={"status": "approved", "certificate": issued.number},
        )
    application = present(await application_rows.application(actor, application_id))  # type: ignore[arg-type]
    return Approval(application=application, certificate=issued, charge=charge)


async def reject(actor: Actor, application_id: int, reason: str) -> dict[str, Any]:
    """A vendor admin rejects with a reason; no certificate, and no charge (rule BIL-3)."""
    require_vendor_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InputError({"reason": _("Give the reason for the rejection; the organisation reads it.")})
    if len(reason) > 2000:
        raise InputError({"reason": _("Use at most 2000 characters.")})
    async with db.transaction():
        row = await _claim_pending(actor, application_id, "rejected", reason)
        await audit.record(
            actor,
            "certificates.application_rejected",
            organisation_id=row["organisation"],
            object_type="certificate_application",
            object_id=application_id,
            before={"status": "pending"},
            after={"status": "rejected", "reason": reason},
        )
    found = await application_rows.application(actor, application_id)
    assert found is not None
    return present(found)


async def review_queue(actor: Actor, status: str = "") -> list[dict[str, Any]]:
    """Every organisation's applications for vendor admins: pending first, oldest first."""
    require_vendor_admin(actor)
    wanted = status if status in ("pending", "approved", "rejected") else ""
    rows = [present(r) for r in await application_rows.review_queue(actor, wanted)]
    pending = [r for r in rows if r["status"] == "pending"]
    reviewed = sorted((r for r in rows if r["status"] != "pending"), key=lambda r: r["id"], reverse=True)
    return pending + reviewed


async def application_for_review(actor: Actor, application_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    row = await application_rows.application(actor, application_id)
    if row is None:
        raise NotFound()
    row = present(row)
    try:
        checked = read_csr(row["csr_pem"])
        row["key_description"] = checked.key_description
        row["csr_subject"] = pki.name_text(checked.csr.subject)
    except InputError:
        row["key_description"] = ""
        row["csr_subject"] = ""
    row["certificate_number"] = await certificate_rows.number_by_application(actor, application_id)
    return row
