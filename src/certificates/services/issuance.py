"""Issuing a certificate from an approved application (rules CRT-1, CRT-4).

`issue_certificate` is the one primitive: the review service calls it inside its own
transaction; it signs, stores the Certificate row and an audit row, and returns the certificate
with its revocation code — the only moment the code exists in clear text (CRT-4)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from src.certificates.repository import certificates as certificate_rows
from src.certificates.services import pki
from src.core import audit, db
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings

VALIDITY_YEARS = 3  # rule CRT-1
KINDS = ("server", "personal")

# Revocation code: 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
# 31 symbols → 16 * log2(31) ≈ 79 bits of entropy, shown as four groups of four.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16

# argon2id, OWASP's minimum profile (19 MiB, t=2): slow enough for a stolen database, fast
# enough for the public page.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass(frozen=True)
class IssuedCertificate:
    certificate_id: int
    number: str
    serial_hex: str
    pem: str
    chain_pem: str
    not_before: dt.datetime
    not_after: dt.datetime
    revocation_code: str


def new_revocation_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return _hasher.hash(normalise_code(code))


# A hash of a code nobody has, verified when the certificate number is unknown, so the time and
# the answer are the same as for a wrong code.
_DUMMY_HASH = _hasher.hash("NO-SUCH-CERTIFICATE-" + secrets.token_hex(8))


def verify_code(code_hash: str | None, code: str) -> bool:
    """Constant-time check (argon2 always runs, on a dummy hash when there is none)."""
    try:
        ok = _hasher.verify(code_hash or _DUMMY_HASH, normalise_code(code))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and code_hash is not None


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _organisation_identifier(organisation: dict[str, Any]) -> str | None:
    """ETSI EN 319 412-1 semantics: NTR<country>-<trade register number>."""
    if organisation.get("country") == "NL" and organisation.get("kvk_number"):
        return f"NTRNL-{organisation['kvk_number']}"
    if organisation.get("country") == "SE" and organisation.get("org_number"):
        return f"NTRSE-{str(organisation['org_number']).replace('-', '')}"
    return None


def _subject(
    organisation: dict[str, Any], kind: str, dns_names: list[str], holder: dict[str, Any] | None
) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, organisation.get("country") or "NL")]
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation["name"][:64]))
    identifier = _organisation_identifier(organisation)
    if identifier:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, identifier))
    if holder is not None:
        # The holder's number in the portal (the membership), quoted in REV-7 requests.
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, str(holder["id"])))
    if kind == "personal":
        assert holder is not None
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, holder["name"][:64]))
    else:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0][:64]))
    return x509.Name(attrs)


async def _next_number(kind: str, year: int) -> str:
    """S-2026-000123 / P-2026-000045: sequential per kind and year, unique."""
    prefix = f"{'S' if kind == 'server' else 'P'}-{year}-"
    if db.is_postgres():
        # Two approvals at once must not pick the same number.
        await db.engine().run_ddl(f"SELECT pg_advisory_xact_lock(727002, {year * 10 + (kind == 'server')})")
    last = await certificate_rows.last_number(prefix)
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


async def issue_certificate(
    *,
    organisation: dict[str, Any],
    kind: str,
    csr: x509.CertificateSigningRequest,
    dns_names: list[str],
    holder: dict[str, Any] | None,
    application_id: int | None,
    lsp_connection: bool,
    actor: Actor,
) -> IssuedCertificate:
    """Sign and store a certificate. Call inside the caller's transaction.

    organisation: the Organisation row (name, country, kvk_number / org_number, id).
    holder: the Membership row (id, name, email) of the certificate holder; required for a
    personal certificate (its subject and e-mail), optional for a server certificate.
    actor: who issues (a vendor admin approving the application).
    The caller has validated the CSR (signature, key size, names)."""
    scope = TenantScope(actor, organisation["id"])
    if kind not in KINDS:
        raise InputError({"kind": _("Unknown certificate kind.")})
    if kind == "server" and not dns_names:
        raise InputError({"dns_names": _("A server certificate needs at least one DNS name.")})
    if kind == "personal" and (holder is None or not holder.get("email")):
        raise InputError(
            {"holder": _("A personal certificate needs a holder with a registered e-mail address.")}
        )
    issuer = await pki.ensure_ca()
    base = get_settings().base_url
    public_key = csr.public_key()
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise InputError({"csr_pem": _("The key in the request must be RSA or ECDSA.")})

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    not_before = now - dt.timedelta(minutes=1)
    not_after = _add_years(now, VALIDITY_YEARS)
    serial = pki.random_serial()

    if kind == "server":
        eku = [ExtendedKeyUsageOID.SERVER_AUTH]
        san: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    else:
        assert holder is not None
        eku = [ExtendedKeyUsageOID.CLIENT_AUTH]
        san = [x509.RFC822Name(holder["email"])]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_subject(organisation, kind, dns_names, holder))
        .issuer_name(issuer.certificate.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=is_rsa and kind == "server",
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(f"{base}/pki/crl/{issuer.id}.crl")],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{base}/ocsp"),
                    ),
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{base}/pki/ca/{issuer.id}.crt"),
                    ),
                ]
            ),
            critical=False,
        )
    )
    certificate = builder.sign(issuer.key, hashes.SHA256())
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    serial_hex = format(serial, "x")
    number = await _next_number(kind, now.year)
    code = new_revocation_code()
    certificate_id = await certificate_rows.add_certificate(
        scope,
        number=number,
        application=application_id,
        issuer=issuer.id,
        kind=kind,
        serial_hex=serial_hex,
        subject_dn=pki.name_text(certificate.subject),
        dns_names=list(dns_names) if kind == "server" else [],
        holder=holder["id"] if holder else None,
        pem=pem,
        not_before=not_before,
        not_after=not_after,
        revocation_code_hash=hash_code(code),  # rule CRT-4: only the hash is kept
        lsp_connection=bool(lsp_connection),
    )
    await audit.record(
        actor,
        "certificates.issued",
        organisation_id=organisation["id"],
        object_type="certificate",
        object_id=certificate_id,
        after={
            "number": number,
            "kind": kind,
            "serial_hex": serial_hex,
            "subject": pki.name_text(certificate.subject),
            "dns_names": list(dns_names),
            "not_after": not_after,
            "application_id": application_id,
        },
    )
    return IssuedCertificate(
        certificate_id=certificate_id,
        number=number,
        serial_hex=serial_hex,
        pem=pem,
        chain_pem=await pki.chain_pem(issuer),
        not_before=not_before,
        not_after=not_after,
        revocation_code=code,
    )
