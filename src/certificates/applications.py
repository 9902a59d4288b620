"""Applications for certificates: a contact person applies, nothing is stored on bad input.

Rules: CRT-3 (an application is reviewed before a certificate is produced), BIL-4 (the LSP flag
makes a server certificate eligible for reimbursement). Two kinds share this code:
- "server": a TLS server certificate; the subscriber is the organisation, the holder a person
  of it; the DNS names must be in the CSR (SAN or CN).
- "personal": client authentication for one user of the organisation; the holder is that user;
  no DNS names. The key always comes from the applicant's CSR: we never generate keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from src.certificates import pki
from src.certificates.tables import Certificate, CertificateApplication
from src.core import audit, db, events
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.subscriptions.services import charges
from src.tenants import validation
from src.tenants.tables import Membership, Organisation

KINDS = ("server", "personal")
MAX_CSR_BYTES = 64 * 1024
ACCEPTED_CURVES = ("secp256r1", "secp384r1")
MIN_RSA_BITS = 2048
RSA_EXPONENT = 65537
ACCEPTED_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --- the CSR ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCsr:
    csr: x509.CertificateSigningRequest
    pem: str
    names: frozenset[str]  # DNS names in the SAN plus a host-like common name, lower case
    public_key_sha256: str
    key_description: str


def read_csr(text: str | bytes | None) -> CheckedCsr:
    """Parse and check one PEM certificate signing request; InputError({"csr_pem": ...}) otherwise."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise InputError(
                {
                    "csr_pem": _(
                        "This is not a PEM file. A CSR in PEM starts with "
                        "-----BEGIN CERTIFICATE REQUEST-----."
                    )
                }
            ) from None
    text = (text or "").strip()
    if not text:
        raise InputError({"csr_pem": _("Paste the certificate signing request (CSR) or upload its file.")})
    if len(text) > MAX_CSR_BYTES:
        raise InputError({"csr_pem": _("This file is too large to be a certificate signing request.")})
    blocks = _PEM_BLOCK.findall(text)
    if not blocks or text.count("-----BEGIN") != len(blocks):
        raise InputError(
            {
                "csr_pem": _(
                    "This is not PEM text. A CSR in PEM starts with -----BEGIN CERTIFICATE REQUEST----- "
                    "and ends with -----END CERTIFICATE REQUEST-----."
                )
            }
        )
    if len(blocks) > 1:
        raise InputError(
            {
                "csr_pem": _(
                    "This holds %(count)s PEM blocks. Give exactly one certificate signing request, "
                    "without certificates or keys.",
                    count=len(blocks),
                )
            }
        )
    label = blocks[0][0]
    if label not in ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"):
        if "PRIVATE KEY" in label:
            message = _(
                "This is a private key, not a certificate signing request. Never send your private key "
                "to anyone: create a new key and a CSR, and paste only the CSR."
            )
        else:
            message = _("This is a %(label)s, not a certificate signing request (CSR).", label=label.lower())
        raise InputError({"csr_pem": message})
    block = _PEM_BLOCK.search(text)
    assert block is not None
    pem = block.group(0)
    try:
        csr = x509.load_pem_x509_csr(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InputError(
            {"csr_pem": _("This certificate signing request cannot be read: it is damaged or incomplete.")}
        ) from None
    try:
        key = csr.public_key()
    except Exception:
        raise InputError(
            {"csr_pem": _("The key in this certificate signing request cannot be read.")}
        ) from None
    key_description = _check_key(key)
    _check_signature_algorithm(csr)
    _check_subject(csr)
    try:
        signature_valid = csr.is_signature_valid
    except Exception:
        signature_valid = False
    if not signature_valid:
        raise InputError(
            {
                "csr_pem": _(
                    "The signature of this certificate signing request is not valid: it was changed after "
                    "it was signed, or damaged. Create the CSR again."
                )
            }
        )
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return CheckedCsr(
        csr=csr,
        pem=pem + "\n",
        names=frozenset(csr_names(csr)),
        public_key_sha256=hashlib.sha256(spki).hexdigest(),
        key_description=key_description,
    )


def _check_signature_algorithm(csr: x509.CertificateSigningRequest) -> None:
    """SHA-1 (and MD5) signatures can be forged: such a request proves nothing about its key."""
    try:
        algorithm = csr.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if not isinstance(algorithm, ACCEPTED_HASHES):
        oid = csr.signature_algorithm_oid
        raise InputError(
            {
                "csr_pem": _(
                    "This certificate signing request is signed with %(algorithm)s, which we do not "
                    "accept (SHA-1 and older signatures can be forged). Sign it with SHA-256, for "
                    "example with openssl req -sha256.",
                    algorithm=getattr(oid, "_name", None) or oid.dotted_string,
                )
            }
        )


def _check_subject(csr: x509.CertificateSigningRequest) -> None:
    for attribute in csr.subject:
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode("latin-1")
        if code := validation.hidden_character(value):
            raise InputError(
                {
                    "csr_pem": _(
                        "The %(field)s in the subject of this certificate signing request holds the "
                        "invisible control character %(code)s, which can change how the name reads. "
                        "Create the CSR without it.",
                        field=attribute.rfc4514_attribute_name,
                        code=code,
                    )
                }
            )


def _check_key(key: Any) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        exponent = key.public_numbers().e
        if exponent != RSA_EXPONENT:
            raise InputError(
                {
                    "csr_pem": _(
                        "The RSA key's public exponent is %(exponent)s; it must be 65537. Create a new "
                        "key (openssl and most tools use 65537 unless told otherwise).",
                        exponent=exponent,
                    )
                }
            )
        if key.key_size < MIN_RSA_BITS:
            raise InputError(
                {
                    "csr_pem": _(
                        "The RSA key has %(bits)s bits; at least 2048 are required. Create a new key of "
                        "2048 bits or more.",
                        bits=key.key_size,
                    )
                }
            )
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ACCEPTED_CURVES:
            raise InputError(
                {
                    "csr_pem": _(
                        "The key uses the elliptic curve %(curve)s, which we do not accept. Use P-256 or "
                        "P-384, or RSA of at least 2048 bits.",
                        curve=key.curve.name,
                    )
                }
            )
        return {"secp256r1": "EC P-256", "secp384r1": "EC P-384"}[key.curve.name]
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise InputError(
            {
                "csr_pem": _(
                    "The key is an Ed25519 or Ed448 key, which we do not accept (many TLS clients and the "
                    "national switch point do not support it). Use RSA of at least 2048 bits, or EC P-256 "
                    "or P-384."
                )
            }
        )
    if isinstance(key, dsa.DSAPublicKey):
        raise InputError(
            {"csr_pem": _("DSA keys are not accepted. Use RSA of at least 2048 bits, or EC P-256 or P-384.")}
        )
    raise InputError(
        {
            "csr_pem": _(
                "This kind of key is not accepted. Use RSA of at least 2048 bits, or EC P-256 or P-384."
            )
        }
    )


def csr_names(csr: x509.CertificateSigningRequest) -> set[str]:
    """DNS names of the CSR: its subjectAltName DNS entries and a host-like common name."""
    names: set[str] = set()
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names.update(n.lower().rstrip(".") for n in san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        pass
    for attribute in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode()
        if "." in value and " " not in value:
            names.add(value.lower().rstrip("."))
    return names


# --- DNS names ------------------------------------------------------------------------------------


def split_names(value: str | list[str] | None) -> list[str]:
    """Names from a list or from text separated by commas, spaces or new lines."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[\s,;]+", value)
    seen: list[str] = []
    for item in items:
        name = str(item).strip().lower().rstrip(".")
        if name and name not in seen:
            seen.append(name)
    return seen


def check_hostname(name: str) -> None:
    if "*" in name:
        raise InputError(
            {
                "dns_names": _(
                    "%(name)s is a wildcard name; we issue certificates for exact names only.", name=name
                )
            }
        )
    labels = name.split(".")
    valid = (
        len(name) <= 253
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not valid:
        raise InputError(
            {"dns_names": _("%(name)s is not a valid host name (for example www.example.nl).", name=name)}
        )


def check_names(requested: list[str], csr: CheckedCsr) -> list[str]:
    if not requested:
        raise InputError({"dns_names": _("Give at least one DNS name for the server certificate.")})
    if len(requested) > 50:
        raise InputError({"dns_names": _("Give at most 50 DNS names.")})
    for name in requested:
        check_hostname(name)
    missing = [name for name in requested if name not in csr.names]
    if missing:
        raise InputError(
            {
                "dns_names": _(
                    "Not in the CSR: %(names)s. Every name must be in the CSR's subject alternative names "
                    "or common name (the CSR has: %(csr_names)s).",
                    names=", ".join(missing),
                    csr_names=", ".join(sorted(csr.names)) or _("no DNS names"),
                )
            }
        )
    return requested


# --- services -------------------------------------------------------------------------------------


@dataclass
class ApplicationInput:
    kind: str = "server"
    csr_pem: str | bytes = ""
    dns_names: list[str] | str | None = None
    holder_membership_id: int | None = None
    lsp_connection: bool = False
    renewal_of_number: str | None = None


async def _holder(organisation_id: int, membership_id: int | None) -> dict[str, Any]:
    if not membership_id:
        raise InputError(
            {"holder_user_id": _("Choose the certificate holder, a person of the organisation.")}
        )
    row = (
        await Membership.select()
        .where(Membership.id == membership_id)
        .where(Membership.organisation == organisation_id)
        .first()
    )
    if row is None:
        raise InputError({"holder_user_id": _("The certificate holder must be a user of this organisation.")})
    if not row["active"]:
        raise InputError(
            {"holder_user_id": _("%(name)s is no longer active in this organisation.", name=row["name"])}
        )
    return row


async def _pending_names(organisation_id: int) -> dict[str, int]:
    rows = await (
        CertificateApplication.select(CertificateApplication.id, CertificateApplication.dns_names)
        .where(CertificateApplication.organisation == organisation_id)
        .where(CertificateApplication.status == "pending")
    )
    taken: dict[str, int] = {}
    for row in rows:
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
        await _holder(organisation_id, data.holder_membership_id)
    except InputError as exc:
        errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    assert checked is not None
    async with db.transaction():
        organisation = await Organisation.select().where(Organisation.id == organisation_id).first()
        if organisation is None:
            raise NotFound()
        holder = await _holder(organisation_id, data.holder_membership_id)
        await _lock_organisation(organisation_id)
        taken = await _pending_names(organisation_id)
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
        rows = await CertificateApplication.insert(
            CertificateApplication(
                organisation=organisation_id,
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
        ).returning(*CertificateApplication.all_columns())
        row = rows[0]
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


_COLUMNS = (
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


def present(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["dns_names"] = _json_list(row.get("dns_names"))
    return row


async def list_applications(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await scope.select(CertificateApplication, *_COLUMNS).order_by(
        CertificateApplication.id, ascending=False
    )
    return [present(r) for r in rows]


async def get_application(actor: Actor, organisation_id: int, application_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return present(await scope.get(CertificateApplication, application_id, *_COLUMNS))


async def holder_choices(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """Active users of the organisation, for the holder field."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return list(
        await scope.select(Membership, Membership.id, Membership.name, Membership.email)
        .where(Membership.active.eq(True))
        .order_by(Membership.name)
    )


# --- review (rule CRT-3) --------------------------------------------------------------------------


@dataclass
class Approval:
    application: dict[str, Any]
    certificate: Any  # issuance.IssuedCertificate
    charge: dict[str, Any] | None


async def _claim_pending(actor: Actor, application_id: int, status: str, reason: str = "") -> dict[str, Any]:
    """Move a pending application to `status`; a reviewed one (or a concurrent review) conflicts."""
    row = await CertificateApplication.select().where(CertificateApplication.id == application_id).first()
    if row is None:
        raise NotFound()
    if row["status"] != "pending":
        raise Conflict(
            _("This application was already reviewed (%(status)s).", status=status_label(row["status"]))
        )
    claimed = await (
        CertificateApplication.update(
            {
                CertificateApplication.status: status,
                CertificateApplication.reviewed_by: actor.person_id or None,
                CertificateApplication.reviewed_at: dt.datetime.now(dt.UTC),
                CertificateApplication.rejection_reason: reason,
            }
        )
        .where(CertificateApplication.id == application_id)
        .where(CertificateApplication.status == "pending")
        .returning(CertificateApplication.id)
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
    from src.certificates import confirmation
    from src.certificates.issuance import issue_certificate

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
            holder = await Membership.select().where(Membership.id == row["holder"]).first()
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
    application = present(
        await CertificateApplication.select(*_COLUMNS)
        .where(CertificateApplication.id == application_id)
        .first()  # type: ignore[arg-type]
    )
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
    found = (
        await CertificateApplication.select(*_COLUMNS)
        .where(CertificateApplication.id == application_id)
        .first()
    )
    assert found is not None
    return present(found)


async def review_queue(actor: Actor, status: str = "") -> list[dict[str, Any]]:
    """Every organisation's applications for vendor admins: pending first, oldest first."""
    require_vendor_admin(actor)
    select = CertificateApplication.select(*_COLUMNS)
    if status in ("pending", "approved", "rejected"):
        select = select.where(CertificateApplication.status == status)
    rows = [present(r) for r in await select.order_by(CertificateApplication.submitted_at).limit(500)]
    pending = [r for r in rows if r["status"] == "pending"]
    reviewed = sorted((r for r in rows if r["status"] != "pending"), key=lambda r: r["id"], reverse=True)
    return pending + reviewed


async def application_for_review(actor: Actor, application_id: int) -> dict[str, Any]:
    require_vendor_admin(actor)
    row = (
        await CertificateApplication.select(*_COLUMNS)
        .where(CertificateApplication.id == application_id)
        .first()
    )
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
    certificate = (
        await Certificate.select(Certificate.number).where(Certificate.application == application_id).first()
    )
    row["certificate_number"] = certificate["number"] if certificate else None
    return row
