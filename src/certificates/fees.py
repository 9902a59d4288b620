"""The certificate fee and its reimbursement.

Rules:
- BIL-1 a server certificate costs EUR 450;
- BIL-2 it becomes chargeable 14 days after the certificate is created (the invoice follows
  about two weeks later), counted in the organisation's own time zone;
- BIL-3 a rejected application is not charged (only an issued certificate creates a charge);
- BIL-4 for an LSP certificate whose reimbursement a vendor admin confirms, the payer of the
  charge is the third party (VZVZ), not the organisation; at most one reimbursed certificate per
  LSP connection.

Interpretation of "one per connection" (BIL-4): a connection is the organisation plus the first
DNS name of the certificate. At most one certificate per connection is reimbursed while it is in
force (not revoked, not expired); the certificate a renewal replaces does not count against its
renewal (a renewal is applied for before the old certificate expires, CRT-2).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.certificates.tables import Certificate, CertificateApplication
from src.core import audit, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _, timezone_for
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions.tables import Charge
from src.tenants.tables import Organisation

FEE_CENTS = 45_000  # rule BIL-1
CURRENCY = "EUR"
CHARGEABLE_AFTER_DAYS = 14  # rule BIL-2
SOURCE_TYPE = "certificate"
DEFAULT_REIMBURSER = "VZVZ"


def chargeable_on(issued_at: dt.datetime, country: str | None) -> dt.date:
    """The organisation's local date of issue plus 14 days (rule BIL-2)."""
    local = issued_at.astimezone(timezone_for(country))
    return local.date() + dt.timedelta(days=CHARGEABLE_AFTER_DAYS)


async def charge_for_certificate(
    actor: Actor,
    *,
    organisation: dict[str, Any],
    certificate_id: int,
    number: str,
    issued_at: dt.datetime,
) -> dict[str, Any]:
    """The pending EUR 450 charge of a newly issued server certificate. Call inside the issuing
    transaction. (source_type, source_id) is unique: the same certificate never charges twice."""
    existing = (
        await Charge.select()
        .where(Charge.source_type == SOURCE_TYPE)
        .where(Charge.source_id == certificate_id)
        .first()
    )
    if existing is not None:
        return existing
    rows = await Charge.insert(
        Charge(
            organisation=organisation["id"],
            source_type=SOURCE_TYPE,
            source_id=certificate_id,
            description=_("Server certificate %(number)s", number=number),
            amount_cents=FEE_CENTS,
            currency=CURRENCY,
            payer_kind="organisation",
            payer_name=organisation["name"],
            chargeable_on=chargeable_on(issued_at, organisation.get("country")),
            status="pending",
        )
    ).returning(*Charge.all_columns())
    charge = rows[0]
    await audit.record(
        actor,
        "certificates.charge_created",
        organisation_id=organisation["id"],
        object_type="charge",
        object_id=charge["id"],
        after={
            "certificate": number,
            "amount_cents": FEE_CENTS,
            "currency": CURRENCY,
            "chargeable_on": charge["chargeable_on"],
        },
    )
    return charge


def charge_status_label(status: str) -> str:
    return {
        "pending": _("not invoiced yet"),
        "invoiced": _("invoiced"),
        "cancelled": _("cancelled"),
    }.get(status, status)


async def charge_of(certificate_id: int) -> dict[str, Any] | None:
    """The certificate's fee, with its status in words (`status_label`)."""
    row = (
        await Charge.select()
        .where(Charge.source_type == SOURCE_TYPE)
        .where(Charge.source_id == certificate_id)
        .first()
    )
    return {**row, "status_label": charge_status_label(row["status"])} if row else None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(v) for v in (value or [])]


def connection_of(certificate: dict[str, Any]) -> str:
    """The LSP connection a certificate serves: its first DNS name (see the module docstring)."""
    names = _names(certificate.get("dns_names"))
    return names[0] if names else ""


async def confirm_reimbursement(
    actor: Actor, certificate_id: int, reimbursed_by: str = DEFAULT_REIMBURSER
) -> dict[str, Any]:
    """A vendor admin confirms the third party reimburses this LSP certificate (rule BIL-4):
    its pending charge is then paid by that party."""
    require_vendor_admin(actor)
    reimbursed_by = " ".join((reimbursed_by or "").split())
    if not reimbursed_by:
        raise InputError({"reimbursed_by": _("Name the party that reimburses the certificate.")})
    if len(reimbursed_by) > 200:
        raise InputError({"reimbursed_by": _("Use at most 200 characters.")})
    async with db.transaction():
        certificate = await Certificate.select().where(Certificate.id == certificate_id).first()
        if certificate is None:
            raise NotFound()
        if db.is_postgres():
            # Serialise confirmations of one organisation: "one per connection" holds under races.
            await (
                Organisation.select(Organisation.id)
                .where(Organisation.id == certificate["organisation"])
                .lock_rows()
            )
        if certificate["kind"] != "server" or not certificate["lsp_connection"]:
            raise Conflict(
                _("Only a server certificate for a connection to the national switch point is reimbursed.")
            )
        if certificate["revoked_at"] is not None:
            raise Conflict(_("This certificate is revoked; its reimbursement can no longer be confirmed."))
        if certificate["reimbursement_confirmed_at"] is not None:
            raise Conflict(
                _(
                    "The reimbursement of this certificate was already confirmed (%(party)s).",
                    party=certificate["reimbursed_by"],
                )
            )
        connection = connection_of(certificate)
        replaced = await _renewed_number(certificate)
        now = dt.datetime.now(dt.UTC)
        others = await (
            Certificate.select(Certificate.id, Certificate.number, Certificate.dns_names)
            .where(Certificate.organisation == certificate["organisation"])
            .where(Certificate.id != certificate_id)
            .where(Certificate.reimbursement_confirmed_at.is_not_null())
            .where(Certificate.revoked_at.is_null())
            .where(Certificate.not_after > now)
        )
        for other in others:
            if connection_of(other) == connection and other["number"] != replaced:
                raise Conflict(
                    _(
                        "Certificate %(number)s is already reimbursed for the connection %(name)s; one "
                        "server certificate per connection is reimbursed.",
                        number=other["number"],
                        name=connection,
                    )
                )
        charge = await charge_of(certificate_id)
        if charge is not None and charge["status"] != "pending":
            raise Conflict(_("The fee of this certificate is already invoiced to the organisation."))
        await Certificate.update(
            {Certificate.reimbursement_confirmed_at: now, Certificate.reimbursed_by: reimbursed_by}
        ).where(Certificate.id == certificate_id)
        if charge is not None:
            await Charge.update({Charge.payer_kind: "third_party", Charge.payer_name: reimbursed_by}).where(
                Charge.id == charge["id"]
            )
        await audit.record(
            actor,
            "certificates.reimbursement_confirmed",
            organisation_id=certificate["organisation"],
            object_type="certificate",
            object_id=certificate_id,
            before={"reimbursed_by": "", "payer": charge["payer_name"] if charge else None},
            after={"reimbursed_by": reimbursed_by, "payer": reimbursed_by, "connection": connection},
        )
    row = await Certificate.select().where(Certificate.id == certificate_id).first()
    assert row is not None
    return row


async def _renewed_number(certificate: dict[str, Any]) -> str | None:
    if certificate.get("application") is None:
        return None
    application = (
        await CertificateApplication.select(CertificateApplication.renewal_of_number)
        .where(CertificateApplication.id == certificate["application"])
        .first()
    )
    return application["renewal_of_number"] if application else None
