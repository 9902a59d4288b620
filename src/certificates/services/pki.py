"""The portal's certificate authority: a root CA and an issuing CA below it.

Key type: ECDSA P-256 for both CAs. Why: every OCSP answer and every CRL is a signature by the
issuing CA, and a P-256 signature costs a few tens of microseconds where an RSA-3072 one costs
over a millisecond, so the responder stays fast even when it must sign per request (nonce).
P-256 gives ~128-bit security (like RSA-3072), is accepted by every TLS stack, by openssl and by
browsers, and the signatures/certificates are small. Subscriber keys may still be RSA (from their
CSR); the CA signs them with ECDSA-SHA256.

Private keys are stored PKCS#8-encrypted (BestAvailableEncryption) with CA_KEY_PASSPHRASE
(derived from SECRET_KEY in the embedded default), decrypted once per process and kept in memory.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from src.certificates.tables import CertificateAuthority
from src.core import db
from src.core.errors import Conflict
from src.core.i18n import _
from src.settings import get_settings

ROOT_NAME = "Care Portal Root CA"
ISSUING_NAME = "Care Portal Issuing CA"
ORGANISATION = "Care Portal"
ROOT_YEARS = 20
ISSUING_YEARS = 10


class CAExists(Conflict):
    pass


# Attributes of certificate names that RFC 4514 gives no short name, so that
# `Name.rfc4514_string()` writes them as bare numbers (2.5.4.97=NTRNL-30276841).
NAMED_ATTRIBUTES = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "surname",
    NameOID.TITLE: "title",
    NameOID.EMAIL_ADDRESS: "emailAddress",
}


def name_text(name: x509.Name) -> str:
    """A certificate name as people read it: RFC 4514, every attribute by its name."""
    return name.rfc4514_string(NAMED_ATTRIBUTES)


@dataclass(frozen=True)
class LoadedCA:
    id: int
    role: str
    name: str
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    pem: str
    der: bytes
    parent_id: int | None


def random_serial() -> int:
    """A positive serial of 127 random bits plus a top bit: >= 64 bits entropy, < 2**159."""
    return secrets.randbits(127) | (1 << 127)


def _passphrase() -> bytes:
    return get_settings().ca_key_passphrase.encode()


def encrypt_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    ).decode()


def _decrypt_key(encrypted_pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(encrypted_pem.encode(), password=_passphrase())
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we only make EC keys
        raise RuntimeError("the CA key is not an EC key")
    return key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_certificate(
    *,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    years: int,
    path_length: int,
    now: dt.datetime,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(random_serial())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,  # the issuing CA signs OCSP answers itself
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


async def _row(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, name: str, role: str, parent: int | None
) -> int:
    rows = await CertificateAuthority.insert(
        CertificateAuthority(
            name=name,
            role=role,
            parent=parent,
            subject_dn=name_text(cert.subject),
            serial_hex=format(cert.serial_number, "x"),
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            encrypted_key=encrypt_key(key),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            active=True,
        )
    ).returning(CertificateAuthority.id)
    return int(rows[0]["id"])


async def _create_hierarchy() -> tuple[int, int]:
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(ROOT_NAME)
    root = _ca_certificate(
        subject=root_name,
        public_key=root_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        years=ROOT_YEARS,
        path_length=1,
        now=now,
    )
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = _ca_certificate(
        subject=_name(ISSUING_NAME),
        public_key=issuing_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        years=ISSUING_YEARS,
        path_length=0,
        now=now,
    )
    root_id = await _row(root, root_key, ROOT_NAME, "root", None)
    issuing_id = await _row(issuing, issuing_key, ISSUING_NAME, "issuing", root_id)
    return root_id, issuing_id


async def _lock_for_creation() -> None:
    """Two processes starting at once must not both create a hierarchy. SQLite's immediate
    transaction already serialises writers; on PostgreSQL take a transaction-scoped lock."""
    if db.is_postgres():
        await db.engine().run_ddl("SELECT pg_advisory_xact_lock(727001)")


async def init_ca() -> tuple[int, int]:
    """`portal init-ca`: create the root and the issuing CA; refuse when a CA exists."""
    async with db.transaction():
        await _lock_for_creation()
        if await CertificateAuthority.exists():
            raise CAExists(
                _(
                    "A certificate authority already exists; it is never overwritten "
                    "(the certificates it issued would become unverifiable)."
                )
            )
        return await _create_hierarchy()


async def ensure_ca() -> LoadedCA:
    """The active issuing CA, created on first use (the embedded default needs no init-ca)."""
    loaded = await active_issuing_ca()
    if loaded is not None:
        return loaded
    async with db.transaction():
        await _lock_for_creation()
        if not await CertificateAuthority.exists().where(CertificateAuthority.role == "issuing"):
            await _create_hierarchy()
    loaded = await active_issuing_ca()
    assert loaded is not None
    return loaded


_KEYS: dict[str, ec.EllipticCurvePrivateKey] = {}
_CERTS: dict[str, x509.Certificate] = {}


def load(row: dict) -> LoadedCA:
    """A CA row with its certificate parsed and key decrypted, both cached per process."""
    serial = row["serial_hex"]
    cert = _CERTS.get(serial)
    if cert is None:
        cert = _CERTS[serial] = x509.load_pem_x509_certificate(row["certificate_pem"].encode())
    key = _KEYS.get(serial)
    if key is None:
        key = _KEYS[serial] = _decrypt_key(row["encrypted_key"])
    return LoadedCA(
        id=row["id"],
        role=row["role"],
        name=row["name"],
        certificate=cert,
        key=key,
        pem=row["certificate_pem"],
        der=cert.public_bytes(serialization.Encoding.DER),
        parent_id=row.get("parent"),
    )


async def active_issuing_ca() -> LoadedCA | None:
    row = (
        await CertificateAuthority.select()
        .where(CertificateAuthority.role == "issuing")
        .where(CertificateAuthority.active == True)  # noqa: E712
        .order_by(CertificateAuthority.id, ascending=False)
        .first()
    )
    return load(row) if row else None


async def get_ca(ca_id: int) -> LoadedCA | None:
    row = await CertificateAuthority.select().where(CertificateAuthority.id == ca_id).first()
    return load(row) if row else None


async def chain_pem(issuer: LoadedCA) -> str:
    """The issuing CA followed by its parents up to the root (PEM)."""
    parts = [issuer.pem]
    parent_id = issuer.parent_id
    while parent_id is not None:
        parent = await get_ca(parent_id)
        if parent is None:
            break
        parts.append(parent.pem)
        parent_id = parent.parent_id
    return "".join(parts)


async def list_cas() -> list[dict]:
    return list(
        await CertificateAuthority.select(
            CertificateAuthority.id,
            CertificateAuthority.name,
            CertificateAuthority.role,
            CertificateAuthority.subject_dn,
            CertificateAuthority.serial_hex,
            CertificateAuthority.not_before,
            CertificateAuthority.not_after,
            CertificateAuthority.certificate_pem,
        ).order_by(CertificateAuthority.id)
    )
