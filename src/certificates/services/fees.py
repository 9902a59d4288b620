"""The reimbursement of a certificate's fee. The fee itself (rules BIL-1 to BIL-3) is the
subscriptions domain's (src/subscriptions/services/charges.py): issuing a certificate publishes
CERTIFICATE_ISSUED, and confirming a reimbursement CERTIFICATE_REIMBURSED, which it turns into
the charge and its payer.

Rule BIL-4: for an LSP certificate whose reimbursement a vendor admin confirms, the payer of the
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

from src.certificates.repository import applications as application_rows
from src.certificates.repository import certificates as certificate_rows
from src.core import audit, db, events
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions.services import charges
from src.tenants.tables import Organisation

DEFAULT_REIMBURSER = "VZVZ"


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
        certificate = await certificate_rows.certificate(actor, certificate_id)
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
        replaced = await _renewed_number(actor, certificate)
        scope = TenantScope(actor, certificate["organisation"])
        now = dt.datetime.now(dt.UTC)
        others = await certificate_rows.reimbursed_in_force(scope, certificate_id, now)
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
        charge = await charges.certificate_charge(certificate_id)
        await events.publish(
            events.CERTIFICATE_REIMBURSED,
            actor=actor,
            certificate_id=certificate_id,
            reimbursed_by=reimbursed_by,
        )
        await certificate_rows.confirm_reimbursement(scope, certificate_id, now, reimbursed_by)
        await audit.record(
            actor,
            "certificates.reimbursement_confirmed",
            organisation_id=certificate["organisation"],
            object_type="certificate",
            object_id=certificate_id,
            before={"reimbursed_by": "", "payer": charge["payer_name"] if charge else None},
            after={"reimbursed_by": reimbursed_by, "payer": reimbursed_by, "connection": connection},
        )
    row = await certificate_rows.certificate(actor, certificate_id)
    assert row is not None
    return row


async def _renewed_number(actor: Actor, certificate: dict[str, Any]) -> str | None:
    if certificate.get("application") is None:
        return None
    return await application_rows.renewal_of_number(actor, certificate["application"])
