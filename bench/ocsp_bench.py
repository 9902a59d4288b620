# ruff: noqa: S603, S607, S303  (a benchmark runs openssl and hey; SHA-1 ids are what openssl sends)
"""OCSP answers per second: the portal's responder against `openssl ocsp -index ... -port ...`
on the same certificates, both driven by `hey`, measured in one run.

    uv run python -m bench.ocsp_bench [--database-url postgresql://...] [--seconds 5]

openssl's responder listens on all interfaces and cannot bind loopback only, so it runs with its
load inside a private network namespace (`unshare -n`, `lo` brought up) and is stopped by PID.
Needs root (for unshare), `hey`, `openssl`. Writes bench/results/ocsp-<database>.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.common import ROOT, bench_environment, free_port, portal_server, use_environment

RESULTS = ROOT / "bench" / "results"


async def seed(certificates: int, revoked: int, work: Path) -> list[dict[str, str]]:
    """Issue certificates through the portal's own primitive; revoke some; write what openssl's
    responder needs (its index.txt, the issuing CA's certificate and key) and OCSP requests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import NameOID

    from src.certificates.services import pki
    from src.certificates.services.issuance import issue_certificate
    from src.certificates.services.revocation import revoke_certificate
    from src.cli import migrate_all
    from src.core import db
    from src.core.tenancy import Actor
    from src.tenants.tables import Membership, Organisation, Person

    await migrate_all()
    org = (
        await Organisation.insert(
            Organisation(name="Bench Zorg B.V.", country="NL", legal_form="bv", kvk_number="12345678")
        ).returning(*Organisation.all_columns())
    )[0]
    person = (await Person.insert(Person(name="Bench Holder", email="h@bench.example")).returning(Person.id))[
        0
    ]
    holder = (
        await Membership.insert(
            Membership(
                organisation=org["id"], person=person["id"], name="Bench Holder", email="h@bench.example"
            )
        ).returning(*Membership.all_columns())
    )[0]
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example")]))
        .sign(key, hashes.SHA256())
    )
    vendor = Actor(person_id=0, name="system", is_vendor_admin=True)
    issued = []
    for i in range(certificates):
        async with db.transaction():
            issued.append(
                await issue_certificate(
                    organisation=org,
                    kind="server",
                    csr=csr,
                    dns_names=[f"host{i}.bench.example"],
                    holder=holder,
                    application_id=None,
                    lsp_connection=False,
                    actor=vendor,
                )
            )
    revoked_ids = {c.certificate_id for c in issued[:revoked]}
    revocations = {}
    for cert in issued[:revoked]:
        async with db.transaction():
            revocations[cert.certificate_id] = await revoke_certificate(
                vendor, cert.certificate_id, "key_compromise", "api"
            )

    ca = await pki.active_issuing_ca()
    assert ca is not None
    (work / "issuing.pem").write_text(ca.pem)
    (work / "issuing.key").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    lines = []
    for cert in issued:
        leaf = x509.load_pem_x509_certificate(cert.pem.encode())
        expiry = cert.not_after.strftime("%y%m%d%H%M%SZ")
        subject = "/" + "/".join(a.rfc4514_string() for a in leaf.subject)
        serial = format(leaf.serial_number, "X")
        if cert.certificate_id in revoked_ids:
            when = revocations[cert.certificate_id]["revoked_at"].strftime("%y%m%d%H%M%SZ")
            lines.append(f"R\t{expiry}\t{when},keyCompromise\t{serial}\tunknown\t{subject}")
        else:
            lines.append(f"V\t{expiry}\t\t{serial}\tunknown\t{subject}")
    (work / "index.txt").write_text("\n".join(lines) + "\n")
    requests = []
    for name, cert in (("good", issued[-1]), ("revoked", issued[0])):
        leaf = x509.load_pem_x509_certificate(cert.pem.encode())
        for nonce in (False, True):
            builder = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca.certificate, hashes.SHA1())
            if nonce:
                builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
            path = work / f"req-{name}{'-nonce' if nonce else ''}.der"
            path.write_bytes(builder.build().public_bytes(serialization.Encoding.DER))
            requests.append({"name": name, "nonce": str(nonce), "path": str(path)})
    return requests


def hey_args(url: str, body: str, seconds: int, concurrency: int) -> list[str]:
    return [
        "hey",
        "-z",
        f"{seconds}s",
        "-c",
        str(concurrency),
        "-m",
        "POST",
        "-T",
        "application/ocsp-request",
        "-D",
        body,
        url,
    ]


def parse_hey(out: str) -> dict[str, float]:
    bad = {code: n for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out) if code != "200"}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99% in ([\d.]+) secs", out)
    if bad or not rps or not p99:
        raise SystemExit(f"hey reported a problem:\n{out}")
    return {
        "requests_per_second": round(float(rps.group(1)), 1),
        "p99_ms": round(float(p99.group(1)) * 1000, 2),
    }


def openssl_responder_load(work: Path, body: str, seconds: int, concurrency: int) -> dict[str, float]:
    """openssl ocsp as the responder, with hey, inside a private network namespace."""
    port = 18080
    responder = (
        f"openssl ocsp -index index.txt -port {port} -rsigner issuing.pem -rkey issuing.key -CA issuing.pem "
        f"-ignore_err >responder.log 2>&1 & echo $! > responder.pid"
    )
    script = "\n".join(
        [
            "set -e",
            "ip link set lo up",
            responder,
            # wait until it answers
            "for i in $(seq 50); do "
            f"openssl ocsp -issuer issuing.pem -serial 0x1 -url http://127.0.0.1:{port} -no_nonce -noverify "
            ">/dev/null 2>&1 && break; sleep 0.1; done",
            " ".join(
                shlex.quote(a) for a in hey_args(f"http://127.0.0.1:{port}/", body, seconds, concurrency)
            )
            + " > hey.out",
            "kill $(cat responder.pid)",
            "wait $(cat responder.pid) 2>/dev/null || true",
        ]
    )
    subprocess.run(["unshare", "-n", "bash", "-c", script], cwd=work, check=True, timeout=seconds + 60)
    return parse_hey((work / "hey.out").read_text())


@contextmanager
def responder_process(env: dict[str, str]) -> Iterator[str]:
    """The same responder code as a process of its own (src/certificates/ocsp_asgi.py)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "src.certificates.ocsp_asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"{base}/ocsp", content=b"", timeout=1)
                break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the OCSP responder did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--certificates", type=int, default=200)
    options = parser.parse_args()

    env = bench_environment(options.database_url)
    use_environment(env)
    work = Path(tempfile.mkdtemp(prefix="ocsp-bench-"))
    requests = asyncio.run(seed(options.certificates, options.certificates // 10, work))
    good = next(r["path"] for r in requests if r["name"] == "good" and r["nonce"] == "False")
    good_nonce = next(r["path"] for r in requests if r["name"] == "good" and r["nonce"] == "True")
    revoked = next(r["path"] for r in requests if r["name"] == "revoked" and r["nonce"] == "False")

    results: dict[str, dict[str, float]] = {}
    results["openssl ocsp responder, good, no nonce (reference)"] = openssl_responder_load(
        work, good, options.seconds, options.concurrency
    )
    with portal_server(env) as base:
        url = f"{base}/ocsp"
        subprocess.run(
            hey_args(url, good, 1, options.concurrency), capture_output=True, check=True
        )  # warm up
        for label, body in (
            ("portal, good, no nonce (pre-signed)", good),
            ("portal, revoked, no nonce (pre-signed)", revoked),
            ("portal, good, with nonce (signed per request)", good_nonce),
        ):
            out = subprocess.run(
                hey_args(url, body, options.seconds, options.concurrency),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[label] = parse_hey(out)
    with responder_process(env) as base:
        url = f"{base}/ocsp"
        subprocess.run(
            hey_args(url, good, 1, options.concurrency), capture_output=True, check=True
        )  # warm up
        for label, body in (
            ("dedicated responder process, good, no nonce (pre-signed)", good),
            ("dedicated responder process, good, with nonce (signed per request)", good_nonce),
        ):
            out = subprocess.run(
                hey_args(url, body, options.seconds, options.concurrency),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[label] = parse_hey(out)
    reference = results["openssl ocsp responder, good, no nonce (reference)"]["requests_per_second"]
    ratios = {label: round(r["requests_per_second"] / reference, 2) for label, r in results.items()}
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "postgresql" if options.database_url else "sqlite",
        "certificates": options.certificates,
        "concurrency": options.concurrency,
        "seconds": options.seconds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goal": "portal pre-signed >= 2.0 x openssl's responder",
        "results": results,
        "ratio_to_openssl": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"ocsp-{report['database']}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
