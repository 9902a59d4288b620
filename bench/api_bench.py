"""Throughput of the JSON API and a signed-in list page against the bare /health route of the
same server process, measured in one run (ratios, not absolute numbers, are what we compare).

    uv run python bench/api_bench.py [--database-url postgresql://...] [--seconds 5]

Needs `hey` (Debian package). Writes bench/results/api.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hey(url: str, seconds: int, concurrency: int, headers: dict[str, str]) -> float:
    args = ["hey", "-z", f"{seconds}s", "-c", str(concurrency)]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    codes = re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)
    bad = {code: n for code, n in codes if code != "200"}
    if bad:
        raise SystemExit(f"{url} answered {bad}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"could not read hey's output:\n{out}")
    return float(match.group(1))


async def seed(organisations: int) -> str:
    from src.cli import migrate_all
    from src.identity.auth import build_actor
    from src.identity.services import create_token
    from src.tenants.tables import Organisation, Person

    await migrate_all()
    admin = (
        await Person.insert(
            Person(name="Bench Admin", email="bench@example.org", is_vendor_admin=True)
        ).returning(Person.id)
    )[0]
    rows = [
        Organisation(
            name=f"Zorgorganisatie {i:05d} B.V.",
            country="NL",
            legal_form="bv",
            kvk_number=f"{10000000 + i:08d}",
            billing_address="Postbus 1\n1000 AA Amsterdam",
            postal_address="Postbus 1\n1000 AA Amsterdam",
        )
        for i in range(organisations)
    ]
    for start in range(0, len(rows), 500):
        await Organisation.insert(*rows[start : start + 500])
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "bench")
    return secret


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--organisations", type=int, default=1000)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(work),
        "SQLITE_PATH": str(work / "bench.sqlite3"),
        "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "API_RATE_LIMIT": "1000000000",
        "PICCOLO_CONF": "piccolo_conf",
    }
    env.pop("REDIS_URL", None)
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
    else:
        env.pop("DATABASE_URL", None)
    os.environ.update({k: v for k, v in env.items() if isinstance(v, str)})
    if not options.database_url:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    token = asyncio.run(seed(options.organisations))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "src.cli", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        hey(f"{base}/health", 1, options.concurrency, {})  # warm up
        results = {
            "health (reference)": hey(f"{base}/health", options.seconds, options.concurrency, {}),
            "GET /api/v1/me": hey(f"{base}/api/v1/me", options.seconds, options.concurrency, auth),
            "GET /api/v1/organisations?page=3": hey(
                f"{base}/api/v1/organisations?page=3", options.seconds, options.concurrency, auth
            ),
            "GET /api/v1/organisations?q=00042": hey(
                f"{base}/api/v1/organisations?q=00042", options.seconds, options.concurrency, auth
            ),
        }
    finally:
        server.terminate()
        server.wait(10)
    reference = results["health (reference)"]
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "postgresql" if options.database_url else "sqlite",
        "organisations": options.organisations,
        "concurrency": options.concurrency,
        "seconds": options.seconds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "requests_per_second": results,
        "ratio_to_reference": {k: round(v / reference, 3) for k, v in results.items()},
    }
    out = ROOT / "bench" / "results" / f"api-{report['database']}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for name, rps in results.items():
        print(f"{name:40s} {rps:10.0f}/s   ratio {rps / reference:.3f}")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
