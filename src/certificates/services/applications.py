"""Applications for certificates: a contact person applies, nothing is stored on bad input.

Rules: CRT-3 (an application is reviewed before a certificate is produced), BIL-4 (the LSP flag
makes a server certificate eligible for reimbursement). Two kinds share this code:
- "server": a TLS server certificate; the subscriber is the organisation, the holder a person
  of it; the DNS names must be in the CSR (SAN or CN).
- "personal": client authentication for one user of the organisation; the holder is that user;
  no DNS names. The key always comes from the applicant's CSR: we never generate keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.certificates.repository import applications as application_rows
from src.certificates.repository import certificates as certificate_rows
from src.certificates.repository import people
from src.certificates.services.csr import CheckedCsr, check_hostname, check_names, read_csr, split_names
from src.core import audit, db
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.tenants.tables import Organisation

KINDS = ("server", "personal")


# --- services -------------------------------------------------------------------------------------


@dataclass
class ApplicationInput:
    kind: str = "server"
    csr_pem: str | bytes = ""
    dns_names: list[str] | str | None = None
    holder_membership_id: int | None = None
    lsp_connection: bool = False
    renewal_of_number: str | None = None


async def _holder(scope: TenantScope, membership_id: int | None) -> dict[str, Any]:
    if not membership_id:
        raise InputError(
            {"holder_user_id": _("Choose the certificate holder, a person of the organisation.")}
        )
    row = await people.member(scope, membership_id)
    if row is None:
        raise InputError({"holder_user_id": _("The certificate holder must be a user of this organisation.")})
    if not row["active"]:
        raise InputError(
            {"holder_user_id": _("%(name)s is no longer active in this organisation.", name=row["name"])}
        )
    return row


async def _pending_names(scope: TenantScope) -> dict[str, int]:
    taken: dict[str, int] = {}
    for row in await application_rows.pending_names(scope):
        for name in _json_list(row["dns_names"]):
            taken[name] = row["id"]
    return taken


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        import json

        value = json.loads(value or "[]")
    return [str(v) for v in (value or [])]


async def _lock_organisation(organisation_id: int) -> None:
    """Serialise applications of one organisation, so two at once cannot both claim a name.
    SQLite's immediate transaction already serialises every writer."""
    if db.is_postgres():
        await Organisation.select(Organisation.id).where(Organisation.id == organisation_id).lock_rows()


async def apply(actor: Actor, organisation_id: int, data: ApplicationInput) -> dict[str, Any]:
    """A contact person applies for a certificate. Bad input raises InputError; nothing is stored."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    kind = data.kind or "server"
    if kind not in KINDS:
        raise InputError({"kind": _("Choose a server certificate or a personal certificate.")})
    # Every field is checked, so the form shows all its problems at once.
    errors: dict[str, str] = {}
    checked: CheckedCsr | None = None
    try:
        checked = read_csr(data.csr_pem)
    except InputError as exc:
        errors.update(exc.errors)
    requested = split_names(data.dns_names)
    names: list[str] = []
    lsp = False
    if kind == "server":
        lsp = bool(data.lsp_connection)
        try:
            if checked is not None:
                names = check_names(requested, checked)
            elif requested:
                for name in requested:
                    check_hostname(name)
        except InputError as exc:
            errors.update(exc.errors)
    else:
        if requested:
            errors["dns_names"] = _("A personal certificate carries no DNS names; leave them empty.")
        if data.lsp_connection:
            errors["lsp_connection"] = _(
                "Only a server certificate can be for a connection to the national switch point."
            )
    try:
        await _holder(scope, data.holder_membership_id)
    except InputError as exc:
        errors.update(exc.errors)
    if data.renewal_of_number:
        renewed = await certificate_rows.certificate_by_number(actor, data.renewal_of_number)
        if renewed is None or renewed["organisation"] != organisation_id:
            errors["renewal_of_number"] = _("This organisation has no certificate with this number to renew.")
    if errors:
        raise InputError(errors)
    assert checked is not None
    async with db.transaction():
        organisation = await Organisation.select().where(Organisation.id == organisation_id).first()
        if organisation is None:
            raise NotFound()
        holder = await _holder(scope, data.holder_membership_id)
        await _lock_organisation(organisation_id)
        taken = await _pending_names(scope)
        clash = [name for name in names if name in taken]
        if clash:
            raise InputError(
                {
                    "dns_names": _(
                        "Already on a pending application of this organisation: %(names)s. Wait for its "
                        "review, or ask us to reject it.",
                        names=", ".join(clash),
                    )
                }
            )
        row = await application_rows.add_application(
            scope,
            kind=kind,
            status="pending",
            csr_pem=checked.pem,
            public_key_sha256=checked.public_key_sha256,
            dns_names=names,
            holder=holder["id"],
            lsp_connection=lsp,
            renewal_of_number=(data.renewal_of_number or None),
            submitted_by=actor.person_id or None,
        )
        await audit.record(
            actor,
            "certificates.application_submitted",
            organisation_id=organisation_id,
            object_type="certificate_application",
            object_id=row["id"],
            after={
                "kind": kind,
                "dns_names": names,
                "holder": holder["name"],
                "lsp_connection": lsp,
                "key": checked.key_description,
                "renewal_of_number": data.renewal_of_number or None,
            },
        )
    return await get_application(actor, organisation_id, row["id"])


def present(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["dns_names"] = _json_list(row.get("dns_names"))
    return row


async def list_applications(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return [present(r) for r in await application_rows.organisation_applications(scope)]


async def get_application(actor: Actor, organisation_id: int, application_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return present(await application_rows.organisation_application(scope, application_id))


async def holder_choices(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """Active users of the organisation, for the holder field."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return await people.active_members(scope)
