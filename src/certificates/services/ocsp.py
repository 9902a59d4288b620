"""The OCSP responder (RFC 6960).

OCSP. Answers are signed by the issuing CA itself (no delegated responder certificate: one key
fewer to protect and renew, and clients need no id-pkix-ocsp-nocheck handling). The CA key is
decrypted once and kept in memory. Speed:
- without a nonce, a pre-signed answer per (CA, serial, hash algorithm) is kept in memory for
  30 minutes (nextUpdate one hour) and served as bytes: no database, no signature;
- with a nonce the answer must be signed per request (the nonce is inside the signed data); an
  ECDSA P-256 signature costs tens of microseconds, but this path skips no database work either.
  Trade-off: a nonce proves freshness to the client at the cost of a signature per request;
  clients that accept a cached answer within its validity (most TLS stacks, stapling) omit it.
- revocations are noticed within half a second in every process: each process reads the
  number of revocations at most every 0.5 s and, when it changed, drops its pre-signed answers
  (a revocation in this process drops them at once). Unknown serials are never cached.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from src.certificates import reasons
from src.certificates.services import pki
from src.certificates.tables import Certificate, CertificateAuthority, Revocation

OCSP_VALIDITY = dt.timedelta(hours=1)
OCSP_CACHE_SECONDS = 30 * 60
POLL_SECONDS = 0.5
CACHE_LIMIT = 200_000

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}
_Status = tuple[ocsp.OCSPCertStatus, dt.datetime | None, int | None]


@dataclass
class _Responder:
    """Per process: the issuing CAs by (hash algorithm, issuer key hash), the pre-signed answers."""

    by_key_hash: dict[tuple[str, bytes], tuple[pki.LoadedCA, bytes]] = field(default_factory=dict)
    ca_serials: tuple[str, ...] = ()
    answers: dict[tuple[int, int, str], tuple[bytes, float]] = field(default_factory=dict)
    statuses: dict[tuple[int, int], _Status] = field(default_factory=dict)
    generation: int = 0
    revocations: int | None = None
    polled_at: float = 0.0

    def invalidate(self) -> None:
        self.generation += 1
        self.answers.clear()
        self.statuses.clear()
        self.polled_at = 0.0

    async def poll(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.polled_at < POLL_SECONDS:
            return
        self.polled_at = now  # other requests meanwhile use the state as it is
        count = int(await Revocation.count())
        rows = await CertificateAuthority.select().where(CertificateAuthority.role == "issuing")
        serials = tuple(sorted(r["serial_hex"] for r in rows))
        if serials != self.ca_serials:
            by_key: dict[tuple[str, bytes], tuple[pki.LoadedCA, bytes]] = {}
            for row in rows:
                ca = pki.load(row)
                key_bytes = ca.certificate.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
                name_der = ca.certificate.subject.public_bytes()
                for alg_name, alg in _HASHES.items():
                    by_key[(alg_name, _digest(alg(), key_bytes))] = (ca, _digest(alg(), name_der))
            self.by_key_hash = by_key
            self.ca_serials = serials
            self.invalidate()
            self.polled_at = now
        if count != self.revocations:
            self.revocations = count
            self.generation += 1
            self.answers.clear()
            self.statuses.clear()


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


_STATE = _Responder()


def invalidate() -> None:
    """Drop this process's pre-signed answers (right after a revocation committed here)."""
    _STATE.invalidate()


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def internal_error() -> bytes:
    return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


async def answer(request_der: bytes) -> bytes:
    """An OCSP response (DER) for an OCSP request (DER)."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        alg_name = request.hash_algorithm.name
        key_hash = request.issuer_key_hash
        name_hash = request.issuer_name_hash
        serial = request.serial_number
    except Exception:  # malformed, or several certificates in one request
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    nonce: x509.OCSPNonce | None = None
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
    except x509.ExtensionNotFound:
        nonce = None
    await _STATE.poll()
    found = _STATE.by_key_hash.get((alg_name, key_hash))
    if found is None:
        await _STATE.poll(force=True)  # a CA created a moment ago in another process
        found = _STATE.by_key_hash.get((alg_name, key_hash))
    if found is None or found[1] != name_hash:
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    ca = found[0]
    cache_key = (ca.id, serial, alg_name)
    if nonce is None:
        cached = _STATE.answers.get(cache_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
    generation = _STATE.generation
    status = _STATE.statuses.get((ca.id, serial))
    if status is None:
        status = await _status(ca.id, serial)
        known = status[0] is not ocsp.OCSPCertStatus.UNKNOWN
        # Cache only what was read in this generation: a revocation noticed meanwhile wins.
        if known and generation == _STATE.generation:
            if len(_STATE.statuses) >= CACHE_LIMIT:
                _STATE.statuses.clear()
            _STATE.statuses[(ca.id, serial)] = status
    der = _sign(ca, request, status, nonce)
    if nonce is None and status[0] is not ocsp.OCSPCertStatus.UNKNOWN and generation == _STATE.generation:
        if len(_STATE.answers) >= CACHE_LIMIT:
            _STATE.answers.clear()
        _STATE.answers[cache_key] = (der, time.monotonic() + OCSP_CACHE_SECONDS)
    return der


async def _status(ca_id: int, serial: int) -> _Status:
    cert = (
        await Certificate.select(Certificate.id, Certificate.revoked_at)
        .where(Certificate.serial_hex == format(serial, "x"))
        .where(Certificate.issuer == ca_id)
        .first()
    )
    if cert is None:
        return ocsp.OCSPCertStatus.UNKNOWN, None, None
    if cert["revoked_at"] is None:
        return ocsp.OCSPCertStatus.GOOD, None, None
    revocation = (
        await Revocation.select(Revocation.revoked_at, Revocation.reason_code)
        .where(Revocation.certificate == cert["id"])
        .first()
    )
    code = int(revocation["reason_code"]) if revocation else 0
    return ocsp.OCSPCertStatus.REVOKED, _utc(cert["revoked_at"]), code


def _sign(
    ca: pki.LoadedCA,
    request: ocsp.OCSPRequest,
    status: _Status,
    nonce: x509.OCSPNonce | None,
) -> bytes:
    cert_status, revoked_at, code = status
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + OCSP_VALIDITY,
        revocation_time=revoked_at.replace(microsecond=0) if revoked_at else None,
        revocation_reason=reasons.reason_flag(code)
        if code is not None and cert_status is ocsp.OCSPCertStatus.REVOKED
        else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
    if nonce is not None:
        builder = builder.add_extension(nonce, critical=False)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
