# ruff: noqa: S603, S607  (a benchmark runs openssl)
"""CRL generation with 100,000 revoked entries: the portal (read from the database, encode, sign,
store) against `openssl ca -gencrl` on the same revocations (index.txt) and the same CA key,
measured in one run (goal: no slower).

    uv run python -m bench.crl_bench [--database-url postgresql://...] [--entries 100000]

Writes bench/results/crl-<database>.json."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, bench_environment, use_environment

RESULTS = ROOT / "bench" / "results"
REASONS = [
    "key_compromise",
    "organisation_ceased",
    "data_changed",
    "user_left",
]  # openssl ca knows no privilegeWithdrawn
OPENSSL_REASON = {
    1: "keyCompromise",
    3: "affiliationChanged",
    5: "cessationOfOperation",
    9: "privilegeWithdrawn",
}


async def seed(entries: int, work: Path) -> int:
    from cryptography.hazmat.primitives import serialization

    from src.certificates import reasons
    from src.certificates.services import crl, pki
    from src.certificates.tables import Certificate, Revocation
    from src.cli import migrate_all
    from src.tenants.tables import Organisation

    await migrate_all()
    ca = await pki.ensure_ca()
    org = (
        await Organisation.insert(
            Organisation(name="Bench Zorg B.V.", country="NL", legal_form="bv", kvk_number="12345678")
        ).returning(Organisation.id)
    )[0]["id"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    lines = []
    batch = 1000
    for start in range(0, entries, batch):
        certs = []
        meta = []
        for i in range(start, min(entries, start + batch)):
            serial = secrets.randbits(127) | (1 << 127)
            reason = REASONS[i % len(REASONS)]
            revoked_at = now - dt.timedelta(seconds=entries - i)
            certs.append(
                Certificate(
                    number=f"S-2026-{i:06d}",
                    organisation=org,
                    issuer=ca.id,
                    kind="server",
                    serial_hex=format(serial, "x"),
                    subject_dn=f"CN=host{i}",
                    pem="-",
                    not_before=now,
                    not_after=now + dt.timedelta(days=1095),
                    revocation_code_hash="-",
                    revoked_at=revoked_at,
                )
            )
            meta.append((serial, revoked_at, reason, i))
        ids = await Certificate.insert(*certs).returning(Certificate.id)
        await Revocation.insert(
            *[
                Revocation(
                    certificate=row["id"],
                    revoked_at=m[1],
                    reason=m[2],
                    reason_code=reasons.reason_code(m[2]),
                    channel="api",
                    crl_entry=crl.encode_entry(m[0], m[1], reasons.reason_code(m[2])).hex(),
                )
                for row, m in zip(ids, meta, strict=True)
            ]
        )
        for serial, revoked_at, reason, i in meta:
            code = reasons.reason_code(reason)
            lines.append(
                f"R\t{(now + dt.timedelta(days=1095)).strftime('%y%m%d%H%M%SZ')}\t"
                f"{revoked_at.strftime('%y%m%d%H%M%SZ')},{OPENSSL_REASON[code]}\t"
                f"{format(serial, 'X')}\tunknown\t/CN=host{i}"
            )
    (work / "index.txt").write_text("\n".join(lines) + "\n")
    (work / "crlnumber").write_text("01\n")
    (work / "ca.pem").write_text(ca.pem)
    (work / "ca.key").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (work / "ca.cnf").write_text(
        "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
        "default_md = sha256\ndefault_crl_hours = 36\ncertificate = ca.pem\nprivate_key = ca.key\n"
        "crl_extensions = crl_ext\n[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n"
    )
    return ca.id


LAST_CRL: list[bytes] = []


async def ours(issuer_id: int, runs: int) -> list[float]:
    from src.certificates.services import crl

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        LAST_CRL[:] = [await crl.generate_crl(issuer_id)]
        timings.append(time.perf_counter() - started)
    return timings


def openssl_gencrl(work: Path, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["openssl", "ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"],
            cwd=work,
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    env = bench_environment(options.database_url)
    use_environment(env)
    work = Path(tempfile.mkdtemp(prefix="crl-bench-"))

    async def run() -> tuple[list[float], list[float]]:
        from src.core import db

        await db.start_pool()
        try:
            issuer_id = await seed(options.entries, work)
            # Interleaved, so both see the same machine load.
            portal, reference = [], []
            for _ in range(options.runs):
                portal += await ours(issuer_id, 1)
                reference += openssl_gencrl(work, 1)
            return portal, reference
        finally:
            await db.close_pool()

    portal, reference = asyncio.run(run())
    Path(tempfile.gettempdir(), "portal-bench-crl.der").write_bytes(LAST_CRL[0])
    check = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            str(Path(tempfile.gettempdir(), "portal-bench-crl.der")),
            "-CAfile",
            str(work / "ca.pem"),
            "-noout",
        ],
        capture_output=True,
        text=True,
    )
    results = {
        "portal generate_crl (db read + encode + sign + store), median s": round(
            statistics.median(portal), 3
        ),
        "openssl ca -gencrl (index.txt), median s": round(statistics.median(reference), 3),
        "portal runs s": [round(t, 3) for t in portal],
        "openssl runs s": [round(t, 3) for t in reference],
    }
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "postgresql" if options.database_url else "sqlite",
        "entries": options.entries,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goal": "portal no slower than openssl ca -gencrl (ratio <= 1.0)",
        "openssl verifies the portal's CRL": check.returncode == 0
        and "verify OK" in check.stderr + check.stdout,
        "results": results,
        "time_ratio_portal_to_openssl": round(statistics.median(portal) / statistics.median(reference), 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"crl-{report['database']}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
