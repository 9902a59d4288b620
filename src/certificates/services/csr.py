"""The certificate signing request of an application, and the DNS names it may carry: read,
checked, nothing stored. The key always comes from the applicant's CSR: we never generate keys."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from src.core.errors import InputError
from src.core.i18n import _
from src.tenants import validation

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
