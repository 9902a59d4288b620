"""Instructions per page view, counted by valgrind's callgrind: the same count on any machine and
under any other load, so the effect of a change on CPU shows even where the machine's speed
varies from run to run (a shared machine's requests/s move by ±30 %, a change's by a few %).
Each page is compared with the bare /health route of the same app, counted in the same way.

    uv run python -m bench.instructions_bench --database-url postgresql://... [--redis-url redis://...]

Needs valgrind (Debian package `valgrind`). Generates the pages bench's data set in an empty
database (or uses it where an earlier run left it), signs a contact person and a vendor admin
in through a local OpenID provider (a real portal server), then for each page starts the app in
a process of its own under callgrind with counting off, sends the page 200 times, and counts 50
more. Requests go straight into the ASGI app, so uvicorn's share (HTTP parsing, about a tenth
of a page) is not counted. Writes bench/results/instructions-<database>.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import pages_bench
from bench.common import ROOT, bench_environment, portal_server, use_environment

WARM = 200
COUNTED = 50


# --- the counted process -----------------------------------------------------------------------


async def _request(app: Any, path: str, cookie: str) -> None:
    path, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    if status != [200]:
        raise SystemExit(f"{path} answered {status}")


def _callgrind(switch: str) -> None:
    """Counting on or off. callgrind reads the command while this process runs code, so it is
    kept busy until the command has been taken."""
    control = subprocess.Popen(  # noqa: S603
        ["callgrind_control", "--instr=" + switch, str(os.getpid())],  # noqa: S607
        stdout=subprocess.DEVNULL,
    )
    while control.poll() is None:
        sum(range(1000))
    if control.returncode != 0:
        raise SystemExit("callgrind_control failed: is this process running under callgrind?")


async def _drive(path: str, cookie: str) -> None:
    from src.app import create_app

    app = create_app()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)  # type: ignore[arg-type]
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise SystemExit(f"the app did not start: {started}")
    for _ in range(WARM):
        await _request(app, path, cookie)
    _callgrind("on")
    for _ in range(COUNTED):
        await _request(app, path, cookie)
    _callgrind("off")
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan


def count(env: dict[str, str], path: str, cookie: str) -> float:
    """Instructions per request of `path`, counted in a process of its own."""
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(  # noqa: S603
            [  # noqa: S607
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={Path(work) / 'callgrind.out'}",
                sys.executable,
                "-m",
                "bench.instructions_bench",
                "--drive",
                path,
            ],
            cwd=ROOT,
            env={**env, "BENCH_COOKIE": cookie, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"counting {path} failed:\n{done.stderr[-3000:]}")
    return int(found.group(1)) / COUNTED


# --- the bench ---------------------------------------------------------------------------------


async def data_set(organisations: int, people: int) -> dict[str, str]:
    """The pages bench's data set: generated in an empty database, used as it is in one that
    holds it already (counts do not depend on the run, so a data set can serve many)."""
    from src.cli import migrate_all
    from src.tenants.tables import Person

    await migrate_all()
    if await Person.exists().where(Person.email == pages_bench.ADMIN_EMAIL):
        return dict(pages_bench.SIGNED_IN)
    return await pages_bench.generate(organisations, people)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.drive:
        import uvloop

        uvloop.run(_drive(options.drive, os.environ.get("BENCH_COOKIE", "")))
        return

    issuer, providers = pages_bench.start_provider()
    env = bench_environment(options.database_url, OIDC_PROVIDERS=json.dumps(providers))
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    use_environment(env)
    people = asyncio.run(data_set(options.organisations, options.people))
    with portal_server(env) as base:
        who = {
            "contact": pages_bench.sign_in(base, issuer, "eid", people["contact"]),
            "admin": pages_bench.sign_in(base, issuer, "staff", people["admin"]),
        }
    # The counted processes use the same settings; the base URL is only used for links.
    env = {**env, "BASE_URL": "http://127.0.0.1"}
    counts = {
        label: count(env, path, who.get(asker, "")) for label, (path, asker) in pages_bench.PAGES.items()
    }
    reference = counts[pages_bench.REFERENCE]
    database = "postgresql" if options.database_url else "sqlite"
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": database,
        "sessions": "redis" if options.redis_url else "files",
        "organisations": options.organisations,
        "people": options.people,
        "counted_requests": COUNTED,
        "what": "instructions per request in the app (without the HTTP server), callgrind",
        "python": platform.python_version(),
        "results": {
            label: {
                "instructions_per_request": round(n),
                # as in the other benches: the share of the reference's requests/s
                "ratio_to_reference": round(reference / n, 3),
            }
            for label, n in counts.items()
        },
    }
    out = ROOT / "bench" / "results" / f"instructions-{database}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for label, n in counts.items():
        print(f"{label:45s} {n / 1e6:7.2f} M instructions  ratio {reference / n:.3f}")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
