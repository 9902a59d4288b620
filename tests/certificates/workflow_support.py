"""Helpers of the certificate workflow tests: CSRs made with cryptography, actors, tokens, and
an app that surely carries the workflow routes."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.identity.services import create_token
from tests import factories

_KEYS: dict[str, Any] = {}


def key(kind: str = "rsa2048") -> Any:
    """A private key (cached per kind: RSA generation is slow)."""
    if kind not in _KEYS:
        if kind.startswith("rsa"):
            _KEYS[kind] = rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
        elif kind == "p256":
            _KEYS[kind] = ec.generate_private_key(ec.SECP256R1())
        elif kind == "p384":
            _KEYS[kind] = ec.generate_private_key(ec.SECP384R1())
        elif kind == "p521":
            _KEYS[kind] = ec.generate_private_key(ec.SECP521R1())
        elif kind == "secp256k1":
            _KEYS[kind] = ec.generate_private_key(ec.SECP256K1())
        elif kind == "ed25519":
            _KEYS[kind] = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(kind)
    return _KEYS[kind]


def csr_pem(
    names: list[str] | None = None, *, kind: str = "rsa2048", cn: str | None = None, fresh_key: bool = False
) -> str:
    names = ["portal.zorg.example"] if names is None else names
    private = key(kind) if not fresh_key else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, cn or (names[0] if names else "Test Person"))]
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    algorithm = None if kind == "ed25519" else hashes.SHA256()
    csr = builder.sign(private, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def tampered_csr_pem(names: list[str] | None = None) -> str:
    """A CSR whose signature no longer matches: one byte of the signature flipped."""
    csr = x509.load_pem_x509_csr(csr_pem(names).encode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01
    import base64

    body = base64.encodebytes(bytes(der)).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"


async def actor_of(membership: dict[str, Any]) -> Actor:
    actor = await build_actor(membership["person"], membership["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def admin_actor(admin: dict[str, Any] | None = None) -> Actor:
    admin = admin or await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def bearer_for(actor: Actor) -> dict[str, str]:
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


async def org_with_contact(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], Actor]:
    org = await factories.organisation(**fields)
    contact = await factories.member(
        org, role="contact_person", name="Carla Contact", email="carla@zorg.example"
    )
    return org, contact, await actor_of(contact)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def app_with_workflow_routes() -> Any:
    """The app as tests/conftest.py builds it (its routes include the certificate workflow)."""
    from tests.support import portal_app

    return portal_app()
