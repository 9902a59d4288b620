"""The CRL and the OCSP responder, judged by the real openssl (rules REV-2, REV-6)."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from src.certificates.services import crl as crl_service
from src.certificates.services.revocation import revoke_certificate
from src.core import db
from tests.certificates.pki_support import VENDOR, issue, openssl, split_chain, write
from tests.workers.conftest import wait_until


async def _revoke(certificate_id: int, reason: str = "organisation_ceased") -> dict:
    async with db.transaction():
        return await revoke_certificate(VENDOR, certificate_id, reason, "portal")


def _files(tmp_path: Path, leaf_pem: str, chain_pem: str) -> None:
    issuing, root = split_chain(chain_pem)
    write(tmp_path / "root.pem", root)
    write(tmp_path / "issuing.pem", issuing)
    write(tmp_path / "leaf.pem", leaf_pem)


async def _crl_to_pem(client: object, tmp_path: Path, leaf_pem: str) -> str:
    cert = x509.load_pem_x509_certificate(leaf_pem.encode())
    url = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    response = await client.get(url.replace("http://testserver.local", ""))  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    write(tmp_path / "crl.der", response.content)
    converted = openssl("crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem", cwd=tmp_path)
    assert converted.returncode == 0, converted.stderr
    return openssl("crl", "-in", "crl.pem", "-noout", "-text", cwd=tmp_path).stdout


def _verify_with_crl(tmp_path: Path) -> tuple[int, str]:
    result = openssl(
        "verify",
        "-crl_check",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "issuing.pem",
        "-CRLfile",
        "crl.pem",
        "leaf.pem",
        cwd=tmp_path,
    )
    return result.returncode, result.stdout + result.stderr


def _crl_number(text: str) -> int:
    match = re.search(r"X509v3 CRL Number:\s*\n\s*(\d+)", text)
    assert match, text
    return int(match.group(1))


async def test_crl_passes_a_good_certificate_and_fails_a_revoked_one(client: object, tmp_path: Path) -> None:
    issued, _, _ = await issue()
    other, _, _ = await issue()
    _files(tmp_path, issued.pem, issued.chain_pem)
    text = await _crl_to_pem(client, tmp_path, issued.pem)
    first_number = _crl_number(text)
    assert "Next Update" in text
    code, output = _verify_with_crl(tmp_path)
    assert code == 0, output

    await _revoke(issued.certificate_id, "organisation_ceased")
    await _revoke(other.certificate_id, "key_compromise")
    text = await _crl_to_pem(client, tmp_path, issued.pem)
    code, output = _verify_with_crl(tmp_path)
    assert code != 0
    assert "certificate revoked" in output
    # the reason codes of REV-3 as RFC 5280 reasons, and increasing CRL numbers
    assert "Cessation Of Operation" in text and "Key Compromise" in text
    assert issued.serial_hex.upper() in text.replace(":", "").upper()
    assert _crl_number(text) > first_number

    # A fetch without a new revocation serves the stored CRL (same number).
    again = await _crl_to_pem(client, tmp_path, issued.pem)
    assert _crl_number(again) == _crl_number(text)


@pytest.mark.parametrize("name", ["\u00b2.crl", "\u0661.crl", "999999999999999999999.crl", "-1.crl", "0.crl"])
async def test_a_crl_or_ca_name_that_is_no_id_answers_404_without_sign_in(client, name: str) -> None:
    """Digits of other scripts (str.isdigit takes "²") and numbers past any id name no CA."""
    for path in (f"/pki/crl/{quote(name)}", f"/pki/ca/{quote(name[:-4])}.crt"):
        answer = await client.get(path)
        assert answer.status_code == 404, path


async def _told_nobody(issuer_id: int) -> None:
    """What this process hears of a revocation made by another process: nothing."""


async def test_daily_job_renews_only_stale_crls(monkeypatch: pytest.MonkeyPatch) -> None:
    issued, _, _ = await issue()
    assert await crl_service.refresh_crls() == 1  # no CRL yet: made
    assert await crl_service.refresh_crls() == 0  # fresh: left alone
    monkeypatch.setattr(crl_service, "after_revocation", _told_nobody)
    async with db.transaction():
        await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    assert await crl_service.refresh_crls() == 1  # a revocation it does not list yet


async def test_a_revocation_publishes_a_new_crl_as_it_commits() -> None:
    issued, _, _ = await issue()
    assert await crl_service.refresh_crls() == 1
    async with db.transaction():
        await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    assert await crl_service.refresh_crls() == 0  # already renewed after the commit


# --- OCSP against a live server -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url() -> Iterator[str]:
    """The app served by uvicorn on a loopback port, on a thread of its own."""
    from src.app import create_app
    from src.settings import Settings

    app = create_app(Settings.from_env(dict(os.environ)), run_worker=False, start_pool=False)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


async def _ocsp(tmp_path: Path, url: str, *args: str) -> str:
    result = await asyncio.to_thread(
        openssl,
        "ocsp",
        "-issuer",
        "issuing.pem",
        "-CAfile",
        "root.pem",
        *args,
        "-url",
        f"{url}/ocsp",
        "-resp_text",
        cwd=tmp_path,
    )
    return result.stdout + result.stderr


async def test_ocsp_says_good_then_revoked_with_time_and_reason(live_url: str, tmp_path: Path) -> None:
    issued, _, _ = await issue()
    _files(tmp_path, issued.pem, issued.chain_pem)

    output = await _ocsp(tmp_path, live_url, "-cert", "leaf.pem")
    assert "Response verify OK" in output, output
    assert "leaf.pem: good" in output
    # openssl sends a nonce by default and checks it is echoed (no "WARNING: no nonce").
    assert "WARNING" not in output
    assert "OCSP Nonce" in output

    # SHA-256 certificate ids: -sha256 must come before -cert (openssl's rule).
    output = await _ocsp(tmp_path, live_url, "-sha256", "-cert", "leaf.pem", "-no_nonce")
    assert "leaf.pem: good" in output and "Response verify OK" in output, output

    result = await _revoke(issued.certificate_id, "key_compromise")
    # Visible at once: the pre-signed answer without nonce was refreshed on revocation.
    output = await _ocsp(tmp_path, live_url, "-cert", "leaf.pem", "-no_nonce")
    assert "leaf.pem: revoked" in output, output
    assert "Reason: keyCompromise" in output
    moment = result["revoked_at"].strftime("%b %e %H:%M:%S %Y").replace("  ", " ")
    assert moment in output.replace("  ", " ")
    output = await _ocsp(tmp_path, live_url, "-sha256", "-cert", "leaf.pem")
    assert "leaf.pem: revoked" in output and "Response verify OK" in output, output


async def test_ocsp_unknown_serial(live_url: str, tmp_path: Path) -> None:
    issued, _, _ = await issue()
    _files(tmp_path, issued.pem, issued.chain_pem)
    output = await _ocsp(tmp_path, live_url, "-serial", "0x1234567890ABCDEF")
    assert "0x1234567890ABCDEF: unknown" in output, output
    assert "Response verify OK" in output


async def test_revocation_by_another_process_is_seen_by_the_responder(
    live_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revocation this responder was not told about (another process) shows once it next
    reads the revocations (it polls them every POLL_SECONDS), though it had answered "good"
    without a nonce, an answer it keeps."""
    issued, _, _ = await issue()
    _files(tmp_path, issued.pem, issued.chain_pem)
    assert "leaf.pem: good" in await _ocsp(tmp_path, live_url, "-cert", "leaf.pem", "-no_nonce")
    monkeypatch.setattr(crl_service, "after_revocation", _told_nobody)
    async with db.transaction():
        await revoke_certificate(VENDOR, issued.certificate_id, "user_left", "user_left")
    answers: list[str] = []

    async def revoked() -> bool:
        answers.append(await _ocsp(tmp_path, live_url, "-cert", "leaf.pem", "-no_nonce"))
        return "leaf.pem: revoked" in answers[-1]

    await wait_until(revoked, lambda: f"the responder still answers:\n{answers[-1]}", within=20, interval=0.1)
    assert "Reason: affiliationChanged" in answers[-1]


async def test_ocsp_get_request_and_malformed_request(live_url: str, tmp_path: Path) -> None:
    issued, _, _ = await issue()
    _files(tmp_path, issued.pem, issued.chain_pem)
    leaf = x509.load_pem_x509_certificate(issued.pem.encode())
    issuer = x509.load_pem_x509_certificate(split_chain(issued.chain_pem)[0].encode())
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
    encoded = quote(base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe="")
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{live_url}/ocsp/{encoded}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/ocsp-response"
        write(tmp_path / "resp.der", response.content)
        malformed = await http.post(f"{live_url}/ocsp", content=b"not an OCSP request")
    result = openssl(
        "ocsp",
        "-respin",
        "resp.der",
        "-issuer",
        "issuing.pem",
        "-CAfile",
        "root.pem",
        "-cert",
        "leaf.pem",
        "-no_nonce",
        cwd=tmp_path,
    )
    assert "leaf.pem: good" in result.stdout and "Response verify OK" in result.stderr, result
    assert (
        ocsp.load_der_ocsp_response(malformed.content).response_status
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


async def test_crl_entries_encoded_later_when_missing_and_numbers_keep_increasing() -> None:
    from src.certificates.tables import Revocation

    issued, _, _ = await issue()
    ca_id = (await crl_service.pki.active_issuing_ca()).id  # type: ignore[union-attr]
    result = await _revoke(issued.certificate_id, "criteria_not_met")
    await Revocation.update({Revocation.crl_entry: ""}).where(Revocation.id == result["revocation_id"])
    crl = x509.load_der_x509_crl(await crl_service.generate_crl(ca_id))
    entry = crl.get_revoked_certificate_by_serial_number(int(issued.serial_hex, 16))
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.privilege_withdrawn
    )
    assert entry.revocation_date_utc == result["revoked_at"].replace(microsecond=0)
    numbers = [
        x509.load_der_x509_crl(await crl_service.generate_crl(ca_id))
        .extensions.get_extension_for_class(x509.CRLNumber)
        .value.crl_number
        for _ in range(3)
    ]
    assert (
        numbers == sorted(set(numbers))
        and numbers[0] > crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    )
