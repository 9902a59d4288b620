"""An organisation exports its data as one ZIP file (rule AG-7).

The ZIP holds one UTF-8 JSON file per area plus a README.txt in the requester's language. Every
area is read through the services that already scope it to the organisation (or, where none
lists it whole, through `TenantScope`), so nothing of another organisation can appear. Secrets
never leave the portal: no revocation codes or their hashes, no key material, and sign-in
identifiers only masked, as the users page shows them.

Only a contact person of the organisation or a vendor admin may export; every export is audited.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from src.certificates import reasons
from src.certificates.services.overview import organisation_certificates
from src.core import audit, db
from src.core.i18n import _, current_locale, format_datetime, timezone_for
from src.core.tenancy import Actor, TenantScope
from src.dashboard import repository
from src.subscriptions.services.subscriptions import list_subscriptions
from src.tenants import legal_forms
from src.tenants.services import organisations, users
from src.tenants.services.agreements import agreement_status
from src.tenants.tables import ModuleRight

FILES = (
    "organisation.json",
    "users.json",
    "rights.json",
    "certificates.json",
    "agreements.json",
    "subscriptions.json",
)


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    files: tuple[str, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):  # never expected; keep binary out of the JSON
        return None
    return value


def _json(data: Any) -> bytes:
    return (json.dumps(_plain(data), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def safe_name(name: str) -> str:
    """The organisation's name as ASCII letters, digits and hyphens, for a file name."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:80].strip("-")
    return slug or "organisation"


# --- the areas -----------------------------------------------------------------------------------


def _organisation(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "country": row["country"],
        "legal_form": row["legal_form"],
        "legal_form_label": legal_forms.legal_form_label(row["legal_form"]),
        "kvk_number": row.get("kvk_number"),
        "agb_code": row.get("agb_code"),
        "org_number": row.get("org_number"),
        "billing_address": row.get("billing_address") or "",
        "postal_address": row.get("postal_address") or "",
        "vat_number": row.get("vat_number") or "",
        "billing_email": row.get("billing_email") or "",
        "peppol_id": row.get("peppol_id") or "",
        "status": row["status"],
        "registered_at": row.get("created_at"),
    }


async def _users(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    listing = await users.list_users(actor, organisation_id, page_size=None)
    # Only the masked identifiers (the listing rows hold no others).
    return [
        {
            "id": u["id"],
            "name": u["name"],
            "registered_email": u["email"],
            "role": u["role"],
            "status": u["status"],  # active, deactivated, or invited (waiting for acceptance)
            "may_sign_agreements": bool(u.get("may_sign_agreements")),
            "personal_identity_number": u["personal_identity_number_masked"],
            "card_id": u["card_id_masked"],
            "added_at": u.get("created_at"),
        }
        for u in listing.users
    ]


async def _rights(scope: TenantScope) -> list[dict[str, Any]]:
    rows = await scope.select(
        ModuleRight,
        ModuleRight.membership,
        ModuleRight.signing,
        ModuleRight.created_at,
        ModuleRight.membership._.name.as_alias("user_name"),
        ModuleRight.module._.code.as_alias("module"),
        ModuleRight.module._.name_nl.as_alias("module_name_nl"),
        ModuleRight.module._.name_sv.as_alias("module_name_sv"),
        ModuleRight.module._.name_en.as_alias("module_name_en"),
        ModuleRight.module._.service._.code.as_alias("service"),
    ).order_by(ModuleRight.id)
    locale = current_locale.get()
    return [
        {
            "user_id": r["membership"],
            "user_name": r["user_name"],
            "service": r["service"],
            "module": r["module"],
            "module_name": r.get(f"module_name_{locale}") or r["module_name_en"],
            "signing_right": bool(r["signing"]),
            "granted_at": r["created_at"],
        }
        for r in rows
    ]


async def _certificates(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    certificates = await organisation_certificates(actor, organisation_id)
    ids = [c["id"] for c in certificates]
    revocations = await repository.revocations_of(actor, ids)
    result = []
    for c in sorted(certificates, key=lambda c: c["id"]):
        revocation = revocations.get(c["id"])
        result.append(
            {
                "number": c["number"],
                "serial": c["serial_hex"],
                "kind": c["kind"],
                "holder_name": c.get("holder_name"),
                "holder_email": c.get("holder_email"),
                "needs_new_holder": bool(c.get("needs_new_holder")),
                "subject": c["subject_dn"],
                "dns_names": c["dns_names"],
                "status": c["status"],
                "valid_from": c["not_before"],
                "valid_until": c["not_after"],
                "revoked_at": (revocation or {}).get("revoked_at") or c.get("revoked_at"),
                "revocation_reason": revocation["reason"] if revocation else None,
                "revocation_reason_label": reasons.label(revocation["reason"]) if revocation else None,
                "revoked_via": revocation["channel"] if revocation else None,
            }
        )
    return result


async def _agreements(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    status = await agreement_status(actor, organisation_id)
    return [
        {
            "id": a["id"],
            "signed_by": a["signer_name"],
            "signer_email": a["signer_email"],
            "signed_at": a["signed_at"],
            "language": a["locale"],
            "signed_copy_sha256": a["pdf_sha256"],
            "documents": [
                {
                    "kind": d.get("kind"),
                    "version": d.get("version"),
                    "title": d.get("title"),
                    "sha256": d.get("sha256"),
                }
                for d in a["documents"]
            ],
        }
        for a in sorted(status.acceptances, key=lambda a: a["id"])
    ]


async def _subscriptions(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    rows = await list_subscriptions(actor, organisation_id)
    return [
        {
            "id": s["id"],
            "service": s["service_code"],
            "service_name": s["service_name"],
            "variant": s["variant_code"],
            "variant_name": s["variant_name"],
            "quantity": s["quantity"],
            "price_cents": s["price_cents"],
            "currency": s["currency"],
            "status": s["status"],
            "state": s["state"],
            "starts_on": s["starts_on"],
            "ends_on": s["ends_on"],
            "notice_given_on": s.get("notice_given_on"),
        }
        for s in sorted(rows, key=lambda s: s["id"])
    ]


def _readme(organisation: dict[str, Any], actor: Actor, now: dt.datetime) -> str:
    descriptions = {
        "organisation.json": _("The organisation's registered details."),
        "users.json": _(
            "Its users: registered e-mail, role, status and sign-in identifiers (masked, only the "
            "last four characters)."
        ),
        "rights.json": _("The rights per module of each user, with signing rights."),
        "certificates.json": _(
            "Its certificates: number, serial, holder, names, status, validity, and when and why a "
            "certificate was revoked. Revocation codes and keys are never exported."
        ),
        "agreements.json": _(
            "Its acceptances of the customer agreement: document versions with their SHA-256, "
            "who signed and when."
        ),
        "subscriptions.json": _("Its subscriptions, with the agreed prices in cents."),
    }
    lines = [
        _("Data export of %(organisation)s", organisation=organisation["name"]),
        "",
        _(
            "Exported on %(when)s by %(who)s.",
            when=format_datetime(now, country=organisation["country"]),
            who=actor.name,
        ),
        _("All files are JSON, encoded as UTF-8. Times are in UTC (ISO 8601)."),
        "",
        _("Files:"),
        *(f"- {name}: {descriptions[name]}" for name in FILES),
    ]
    return "\n".join(lines) + "\n"


# --- the export ----------------------------------------------------------------------------------


async def export_organisation(actor: Actor, organisation_id: int, now: dt.datetime | None = None) -> Export:
    """The organisation's data as a ZIP (contact persons of the organisation, vendor admins).

    Another organisation answers NotFound, an end user Forbidden, as everywhere in the portal."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    now = now or dt.datetime.now(dt.UTC)
    organisation = await organisations.get_organisation(actor, organisation_id)
    areas: dict[str, Any] = {
        "organisation.json": _organisation(organisation),
        "users.json": await _users(actor, organisation_id),
        "rights.json": await _rights(scope),
        "certificates.json": await _certificates(actor, organisation_id),
        "agreements.json": await _agreements(actor, organisation_id),
        "subscriptions.json": await _subscriptions(actor, organisation_id),
    }
    buffer = io.BytesIO()
    stamp = now.astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("README.txt", date_time=stamp),
            _readme(organisation, actor, now).encode("utf-8"),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for name in FILES:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=stamp), _json(areas[name]), compress_type=zipfile.ZIP_DEFLATED
            )
    day = now.astimezone(timezone_for(organisation["country"])).date()
    filename = f"{safe_name(organisation['name'])}-export-{day.isoformat()}.zip"
    # Reading needs no transaction; the audit row is the one write.
    async with db.transaction():
        await audit.record(
            actor,
            "tenants.data_exported",
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            after={
                "organisation": organisation["name"],
                "files": ["README.txt", *FILES],
                "by_vendor_admin": actor.is_vendor_admin,
                "counts": {name: len(areas[name]) for name in FILES if isinstance(areas[name], list)},
            },
        )
    return Export(filename=filename, content=buffer.getvalue(), files=("README.txt", *FILES))
