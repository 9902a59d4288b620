"""Revocation requests received by post or e-mail (rule REV-5).

When online revocation is impossible, the subscriber sends the signed form and a copy of a
valid identity document of the authorised person (by e-mail as PDF or JPG scans). A vendor
admin records the request with both scans, confirms a checklist, and executes it; the request,
its evidence and who executed it are kept. Evidence is readable by vendor admins only.

Files: PDF, JPEG or PNG, at most 10 MB each, the type decided by the content's magic bytes
(never by the name or the browser's claim), stored under settings.var_dir / "evidence" by their
SHA-256, which the EvidenceFile row keeps; a download re-checks it."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from src.certificates import reasons
from src.certificates.repository import certificates as certificate_rows
from src.certificates.repository import revocations as revocation_rows
from src.certificates.tables import ManualRevocationRequest
from src.core import audit, db
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.settings import get_settings

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_KINDS = ("signed_form", "identity_document")
CHANNELS = ("post", "email")
CHECKLIST = ("signature_present", "identity_valid", "number_matches_organisation")

_MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def checklist_labels() -> dict[str, str]:
    return {
        "signature_present": _("The form is signed"),
        "identity_valid": _("The identity document is valid and matches the authorised person"),
        "number_matches_organisation": _("The certificate number belongs to the organisation on the form"),
    }


def evidence_labels() -> dict[str, str]:
    return {"signed_form": _("Signed revocation form"), "identity_document": _("Identity document")}


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the magic bytes, or None."""
    for magic, content_type, extension in _MAGIC:
        if content.startswith(magic):
            return content_type, extension
    return None


def _check_upload(field: str, upload: Upload | None) -> tuple[str, str]:
    if upload is None or not upload.content:
        raise InputError({field: _("Upload the scan (PDF, JPG or PNG).")})
    if len(upload.content) > MAX_EVIDENCE_BYTES:
        raise InputError({field: _("The file is larger than 10 MB. Scan it at a lower resolution.")})
    found = sniff(upload.content)
    if found is None:
        raise InputError(
            {field: _("This file is not a PDF, JPG or PNG (judged by its content, not its name).")}
        )
    return found


def _safe_name(filename: str, extension: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(filename or "").name).strip(" .")[:200]
    return base or f"scan{extension}"


def evidence_dir() -> Path:
    return get_settings().var_dir / "evidence"


def _store(content: bytes) -> tuple[str, Path, bool]:
    """Write content under its SHA-256; returns (digest, path, whether this call created it)."""
    digest = hashlib.sha256(content).hexdigest()
    directory = evidence_dir() / digest[:2]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / digest
    if path.exists():
        return digest, path, False
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(path)
    return digest, path, True


async def record_request(
    actor: Actor,
    *,
    certificate_number: str,
    received_via: str,
    received_on: str | dt.date,
    requester_name: str,
    reason: str,
    notes: str = "",
    signed_form: Upload | None,
    identity_document: Upload | None,
) -> dict[str, Any]:
    """A vendor admin records a request with its two scans; nothing is revoked yet."""
    require_vendor_admin(actor)
    number = (certificate_number or "").strip().upper()
    errors: dict[str, str] = {}
    if not number:
        errors["certificate_number"] = _("Enter the certificate number from the form.")
    if received_via not in CHANNELS:
        errors["received_via"] = _("Choose post or e-mail.")
    day: dt.date | None = None
    try:
        day = (
            received_on
            if isinstance(received_on, dt.date)
            else dt.date.fromisoformat(str(received_on).strip())
        )
    except ValueError:
        errors["received_on"] = _("Enter the date the request was received (YYYY-MM-DD).")
    if day is not None and day > dt.date.today() + dt.timedelta(days=1):
        errors["received_on"] = _("The date of receipt cannot be in the future.")
    requester = " ".join((requester_name or "").split())
    if not requester:
        errors["requester_name"] = _("Enter the name of the person who signed the request.")
    elif len(requester) > 200:
        errors["requester_name"] = _("Use at most 200 characters.")
    if reason not in reasons.CHOOSABLE:
        errors["reason"] = _("Choose the reason given on the form.")
    found: dict[str, tuple[str, str]] = {}
    for field, upload in (("signed_form", signed_form), ("identity_document", identity_document)):
        try:
            found[field] = _check_upload(field, upload)
        except InputError as exc:
            errors.update(exc.errors)
    certificate = None
    if number and "certificate_number" not in errors:
        certificate = await certificate_rows.certificate_by_number(actor, number)
        if certificate is None:
            errors["certificate_number"] = _("No certificate has this number. Check the form.")
        elif certificate["revoked_at"] is not None:
            errors["certificate_number"] = _("This certificate is already revoked.")
    if errors:
        raise InputError(errors)
    assert certificate is not None and day is not None and signed_form and identity_document
    created: list[Path] = []
    try:
        stored = {}
        for field, upload in (("signed_form", signed_form), ("identity_document", identity_document)):
            digest, path, new = _store(upload.content)
            if new:
                created.append(path)
            stored[field] = (digest, path, upload)
        async with db.transaction():
            evidence = []
            for field, (digest, path, upload) in stored.items():
                content_type, extension = found[field]
                evidence.append(
                    {
                        "kind": field,
                        "filename": _safe_name(upload.filename, extension),
                        "content_type": content_type,
                        "size": len(upload.content),
                        "sha256": digest,
                        "storage_path": str(path.relative_to(evidence_dir())),
                    }
                )
            request_id = await revocation_rows.add_request(
                actor,
                evidence,
                certificate_number=number,
                certificate=certificate["id"],
                received_via=received_via,
                received_on=day,
                requester_name=requester,
                reason=reason,
                checklist={},
                status="awaiting",
                recorded_by=actor.person_id or None,
                notes=(notes or "").strip()[:5000],
            )
            await audit.record(
                actor,
                "certificates.manual_revocation_recorded",
                organisation_id=certificate["organisation"],
                object_type="manual_revocation_request",
                object_id=request_id,
                after={
                    "certificate": number,
                    "received_via": received_via,
                    "received_on": day,
                    "requester_name": requester,
                    "reason": reason,
                    "evidence_sha256": {f: s[0] for f, s in stored.items()},
                },
            )
    except BaseException:
        for path in created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return await get_request(actor, request_id)


async def get_request(actor: Actor, request_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    row = await revocation_rows.request(actor, request_id)
    if row is None:
        raise NotFound()
    checklist = row["checklist"]
    if isinstance(checklist, str):
        import json

        checklist = json.loads(checklist or "{}")
    row["checklist"] = checklist or {}
    row["checklist_complete"] = all(row["checklist"].get(item) is True for item in CHECKLIST)
    row["evidence"] = await revocation_rows.evidence_of(actor, request_id)
    return row


async def list_requests(actor: Actor, status: str = "") -> list[dict[str, Any]]:
    require_vendor_admin(actor)
    wanted = status if status in ("awaiting", "executed", "refused") else ""
    rows = await revocation_rows.requests(actor, wanted)
    return sorted(rows, key=lambda r: r["status"] != "awaiting")


async def confirm_checklist(actor: Actor, request_id: int, ticked: dict[str, bool]) -> dict[str, Any]:
    """The admin confirms what they checked on the scans; every item must be ticked."""
    require_vendor_admin(actor)
    missing = [item for item in CHECKLIST if not ticked.get(item)]
    if missing:
        labels = checklist_labels()
        raise InputError(
            {item: _("Check this before executing: %(item)s.", item=labels[item]) for item in missing}
        )
    async with db.transaction():
        row = await get_request(actor, request_id)
        if row["status"] != "awaiting":
            raise Conflict(_("This request was already handled."))
        checklist = {
            **{item: True for item in CHECKLIST},
            "confirmed_by": actor.label,
            "confirmed_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        await revocation_rows.update_request(
            actor, request_id, {ManualRevocationRequest.checklist: checklist}
        )
        await audit.record(
            actor,
            "certificates.manual_revocation_checked",
            organisation_id=await _organisation_of(actor, row),
            object_type="manual_revocation_request",
            object_id=request_id,
            after=checklist,
        )
    return await get_request(actor, request_id)


async def _organisation_of(actor: Actor, row: dict[str, Any]) -> int | None:
    if row.get("certificate") is None:
        return None
    cert = await certificate_rows.certificate(actor, row["certificate"])
    return cert["organisation"] if cert else None


async def execute(actor: Actor, request_id: int) -> dict[str, Any]:
    """Revoke the certificate as requested (channel "manual"); keeps who executed it, when."""
    from src.certificates.services.revocation import revoke_certificate

    require_vendor_admin(actor)
    async with db.transaction():
        row = await get_request(actor, request_id)
        if row["status"] != "awaiting":
            raise Conflict(_("This request was already handled."))
        if not row["checklist_complete"]:
            raise Conflict(_("Confirm the checklist before executing the request."))
        if row["certificate"] is None:
            raise Conflict(_("The request names no certificate."))
        claimed = await revocation_rows.update_request(
            actor,
            request_id,
            {
                ManualRevocationRequest.status: "executed",
                ManualRevocationRequest.executed_by: actor.person_id or None,
                ManualRevocationRequest.executed_at: dt.datetime.now(dt.UTC),
            },
            only_awaiting=True,
        )
        if not claimed:
            raise Conflict(_("This request was already handled."))
        revocation = await revoke_certificate(actor, row["certificate"], row["reason"], "manual")
        await audit.record(
            actor,
            "certificates.manual_revocation_executed",
            organisation_id=revocation["organisation_id"],
            object_type="manual_revocation_request",
            object_id=request_id,
            before={"status": "awaiting"},
            after={
                "status": "executed",
                "revoked_at": revocation["revoked_at"],
                "number": revocation["number"],
            },
        )
    return {"request": await get_request(actor, request_id), "revocation": revocation}


async def refuse(actor: Actor, request_id: int, note: str) -> dict[str, Any]:
    """The request does not hold (no signature, wrong person, …): kept, marked refused."""
    require_vendor_admin(actor)
    note = (note or "").strip()
    if not note:
        raise InputError({"note": _("Say why the request is refused.")})
    async with db.transaction():
        row = await get_request(actor, request_id)
        if row["status"] != "awaiting":
            raise Conflict(_("This request was already handled."))
        notes = (row["notes"] + "\n" if row["notes"] else "") + _("Refused: %(note)s", note=note)
        await revocation_rows.update_request(
            actor,
            request_id,
            {
                ManualRevocationRequest.status: "refused",
                ManualRevocationRequest.executed_by: actor.person_id or None,
                ManualRevocationRequest.executed_at: dt.datetime.now(dt.UTC),
                ManualRevocationRequest.notes: notes[:5000],
            },
        )
        await audit.record(
            actor,
            "certificates.manual_revocation_refused",
            organisation_id=await _organisation_of(actor, row),
            object_type="manual_revocation_request",
            object_id=request_id,
            before={"status": "awaiting"},
            after={"status": "refused", "note": note},
        )
    return await get_request(actor, request_id)


async def evidence_file(actor: Actor, request_id: int, file_id: int) -> tuple[dict[str, Any], bytes]:
    """A scan, for vendor admins only; its SHA-256 is checked against the row."""
    require_vendor_admin(actor)
    row = await revocation_rows.evidence_file(actor, request_id, file_id)
    if row is None:
        raise NotFound()
    root = evidence_dir().resolve()
    path = (root / row["storage_path"]).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound()
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise Conflict(_("The stored file does not match its recorded checksum."))
    return row, content
