"""Helpers for the PKI tests: CSRs made the way a subscriber would, certificates issued through
the real primitive, and the real `openssl` as judge."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from src.certificates.services.issuance import IssuedCertificate, issue_certificate
from src.core import db
from src.core.tenancy import Actor
from tests import factories

# The vendor's staff at work in tests that issue and revoke without a person signed in.
VENDOR = Actor(person_id=0, name="system", is_vendor_admin=True)


def make_csr(dns_names: list[str] | None = None, rsa_key: bool = False) -> x509.CertificateSigningRequest:
    key: Any = rsa.generate_private_key(65537, 2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (dns_names or ["user"])[0])])
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    return builder.sign(key, hashes.SHA256())


async def issue(
    org: dict[str, Any] | None = None,
    kind: str = "server",
    holder: dict[str, Any] | None = None,
    dns_names: list[str] | None = None,
    rsa_key: bool = False,
) -> tuple[IssuedCertificate, dict[str, Any], dict[str, Any]]:
    org = org or await factories.organisation()
    holder = holder or await factories.member(org)
    names = dns_names if dns_names is not None else (["portal.zorg.example"] if kind == "server" else [])
    async with db.transaction():
        issued = await issue_certificate(
            organisation=org,
            kind=kind,
            csr=make_csr(names or None, rsa_key=rsa_key),
            dns_names=names,
            holder=holder,
            application_id=None,
            lsp_connection=False,
            actor=VENDOR,
        )
    return issued, org, holder


def openssl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def split_chain(chain_pem: str) -> tuple[str, str]:
    """(issuing CA PEM, root PEM) from a chain."""
    marker = "-----END CERTIFICATE-----\n"
    parts = [p + marker for p in chain_pem.split(marker) if p.strip()]
    return parts[0], parts[-1]


def der_of(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
