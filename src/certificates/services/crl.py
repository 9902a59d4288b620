"""Publication of certificate status, the CRL per issuing CA (the OCSP responder is in ocsp.py).

Stored in CrlState (one row per issuing CA, locked while a new one is made, so CRL numbers
only ever increase). A new CRL is made right after a revocation commits (`after_revocation`),
whenever it is fetched and lists fewer revocations than exist or is within 12 hours of its
nextUpdate, and hourly by the scheduled job (src.certificates.tasks; so at least daily even if nobody asks).
nextUpdate is 36 hours after thisUpdate.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from src.certificates.services import ocsp, pki
from src.certificates.tables import CertificateAuthority, CrlState, Revocation
from src.core import db

log = logging.getLogger(__name__)

CRL_VALIDITY = dt.timedelta(hours=36)
CRL_REFRESH_BEFORE = dt.timedelta(hours=12)


# --- CRL ------------------------------------------------------------------------------------


async def _revocation_count(issuer_id: int) -> int:
    return int(await Revocation.count().where(Revocation.certificate.issuer == issuer_id))


async def _lock_state(issuer_id: int) -> dict[str, Any]:
    """The CrlState row of this CA, created when missing, locked for this transaction."""
    await CrlState.insert(CrlState(issuer=issuer_id, crl_number=0)).on_conflict(
        target=CrlState.issuer, action="DO NOTHING"
    )
    if db.is_postgres():
        rows = await CrlState.raw("SELECT * FROM crl_state WHERE issuer = {} FOR UPDATE", issuer_id)
        return rows[0]
    # SQLite: the immediate transaction already holds the database's write lock.
    row = await CrlState.select().where(CrlState.issuer == issuer_id).first()
    assert row is not None
    return row


def encode_entry(serial: int, revoked_at: dt.datetime, code: int) -> bytes:
    """One revokedCertificates entry (DER): serial, revocation date, reasonCode extension."""
    body = _der_integer(serial) + _der_time(revoked_at) + _REASON_EXTENSIONS.get(code, b"")
    return b"\x30" + _der_len(len(body)) + body


def build_crl_from_entries(
    ca: pki.LoadedCA, parts: list[bytes], number: int, this_update: dt.datetime
) -> bytes:
    """A DER CRL (v2) around already encoded entries (see encode_entry), signed by the CA.

    Encoded here directly: cryptography's CertificateRevocationListBuilder copies its list on
    every added entry, which is quadratic (100,000 entries took over 20 s); stored entries plus
    one signature take a fraction of a second (bench/crl_bench.py). openssl checks the result
    in the tests (tests/certificates/test_crl_ocsp.py)."""
    next_update = this_update + CRL_VALIDITY
    extensions = _der_seq(
        _der_extension(
            _OID_AKI, x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()).public_bytes()
        )
        + _der_extension(_OID_CRL_NUMBER, x509.CRLNumber(number).public_bytes())
    )
    tbs = _der_seq(
        b"\x02\x01\x01"  # version v2
        + _ECDSA_SHA256
        + ca.certificate.subject.public_bytes()
        + _der_time(this_update)
        + _der_time(next_update)
        + (_der_seq(b"".join(parts)) if parts else b"")
        + b"\xa0"
        + _der_len(len(extensions))
        + extensions
    )
    signature = ca.key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return _der_seq(tbs + _ECDSA_SHA256 + b"\x03" + _der_len(len(signature) + 1) + b"\x00" + signature)


_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")  # AlgorithmIdentifier ecdsa-with-SHA256
_OID_AKI = bytes.fromhex("0603551d23")
_OID_CRL_NUMBER = bytes.fromhex("0603551d14")
# crlEntryExtensions holding one reasonCode (2.5.29.21) extension, per RFC 5280 code.
# "unspecified" (0) is left out, as RFC 5280 5.3.1 asks.
_REASON_EXTENSIONS = {
    code: bytes.fromhex("300c300a" + "0603551d15" + "0403" + "0a01") + bytes([code])
    for code in (1, 2, 3, 4, 5, 6, 8, 9, 10)
}


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_seq(body: bytes) -> bytes:
    return b"\x30" + _der_len(len(body)) + body


def _der_integer(n: int) -> bytes:
    raw = n.to_bytes(n.bit_length() // 8 + 1, "big")  # positive: a leading 0 bit always fits
    return b"\x02" + _der_len(len(raw)) + raw


def _der_time(moment: dt.datetime) -> bytes:
    """UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 5.1.2.4)."""
    moment = _utc(moment).astimezone(dt.UTC)
    if moment.year < 2050:
        text = moment.strftime("%y%m%d%H%M%SZ").encode()
        return b"\x17" + bytes([len(text)]) + text
    text = moment.strftime("%Y%m%d%H%M%SZ").encode()
    return b"\x18" + bytes([len(text)]) + text


def _der_extension(oid: bytes, value: bytes) -> bytes:
    return _der_seq(oid + b"\x04" + _der_len(len(value)) + value)


async def _entries(issuer_id: int) -> list[tuple[int, dt.datetime, int]]:
    rows = await Revocation.select(
        Revocation.certificate.serial_hex, Revocation.revoked_at, Revocation.reason_code
    ).where(Revocation.certificate.issuer == issuer_id)
    return [
        (int(r["certificate.serial_hex"], 16), _utc(r["revoked_at"]), int(r["reason_code"])) for r in rows
    ]


async def _stored_entries(issuer_id: int) -> list[bytes]:
    """The encoded entries of every revocation of this CA (encoded now where one is missing).
    One text column is read: no timestamps to parse, which is most of the cost at 100,000."""
    rows = await Revocation.raw(
        "SELECT r.crl_entry FROM revocation r JOIN certificate c ON c.id = r.certificate WHERE c.issuer = {}",
        issuer_id,
    )
    parts = [bytes.fromhex(r["crl_entry"]) for r in rows if r["crl_entry"]]
    if len(parts) < len(rows):
        parts = [encode_entry(*entry) for entry in await _entries(issuer_id)]
    return parts


async def generate_crl(issuer_id: int) -> bytes:
    """Make and store a new CRL for this CA, with the next CRL number (its own transaction)."""
    ca = await pki.get_ca(issuer_id)
    if ca is None or ca.role != "issuing":
        raise LookupError(issuer_id)
    async with db.transaction():
        state = await _lock_state(issuer_id)
        parts = await _stored_entries(issuer_id)
        this_update = dt.datetime.now(dt.UTC).replace(microsecond=0)
        number = int(state["crl_number"]) + 1
        der = build_crl_from_entries(ca, parts, number, this_update)
        await CrlState.update(
            {
                CrlState.crl_number: number,
                CrlState.this_update: this_update,
                CrlState.next_update: this_update + CRL_VALIDITY,
                CrlState.der: base64.b64encode(der).decode(),
                CrlState.revocations_included: len(parts),
            }
        ).where(CrlState.issuer == issuer_id)
    return der


async def current_crl(issuer_id: int) -> bytes | None:
    """The CRL to serve: the stored one, or a new one when it is missing or stale."""
    ca_row = (
        await CertificateAuthority.select(CertificateAuthority.role)
        .where(CertificateAuthority.id == issuer_id)
        .first()
    )
    if ca_row is None or ca_row["role"] != "issuing":
        return None
    state = await CrlState.select().where(CrlState.issuer == issuer_id).first()
    if state is not None and state["der"] and not await _crl_is_stale(state):
        return base64.b64decode(state["der"])
    return await generate_crl(issuer_id)


async def _crl_is_stale(state: dict[str, Any]) -> bool:
    next_update = state["next_update"]
    if next_update is None or _utc(next_update) - dt.datetime.now(dt.UTC) < CRL_REFRESH_BEFORE:
        return True
    return int(state["revocations_included"]) != await _revocation_count(state["issuer"])


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def refresh_crls() -> int:
    """The hourly job (src.certificates.tasks): renew every issuing CA's CRL that is stale (so a
    CRL is made at least daily)."""
    made = 0
    cas = await CertificateAuthority.select(CertificateAuthority.id).where(
        CertificateAuthority.role == "issuing"
    )
    for ca in cas:
        state = await CrlState.select().where(CrlState.issuer == ca["id"]).first()
        if state is None or not state["der"] or await _crl_is_stale(state):
            await generate_crl(ca["id"])
            made += 1
    return made


async def after_revocation(issuer_id: int) -> None:
    """Call after the transaction that revoked has committed: OCSP at once, then the CRL."""
    ocsp.invalidate()
    try:
        await generate_crl(issuer_id)
    except Exception:  # the CRL is also renewed when fetched and hourly; never fail the revocation
        log.exception("could not regenerate the CRL of CA %s", issuer_id)
