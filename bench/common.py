"""What the benchmarks share: a portal server process of our own, and `hey` as the load tool."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Load:
    requests_per_second: float
    p99_ms: float

    def as_dict(self) -> dict[str, float]:
        return {"requests_per_second": round(self.requests_per_second, 1), "p99_ms": round(self.p99_ms, 2)}


def _hey(url: str, seconds: int, concurrency: int, headers: dict[str, str] | None) -> str:
    args = ["hey", "-z", f"{seconds}s", "-c", str(concurrency)]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    bad = {code: n for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out) if code != "200"}
    if bad:
        raise SystemExit(f"{url} answered {bad}")
    return out


def hey(url: str, seconds: int, concurrency: int, headers: dict[str, str] | None = None) -> Load:
    out = _hey(url, seconds, concurrency, headers)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99% in ([\d.]+) secs", out)
    if not rps or not p99:
        raise SystemExit(f"could not read hey's output:\n{out}")
    return Load(float(rps.group(1)), float(p99.group(1)) * 1000)


def warm_up(url: str, concurrency: int, headers: dict[str, str] | None = None) -> None:
    """A second under load before measuring, as in a portal that has been up a while. Only the
    answers are checked: on a busy machine a second may give too few for hey's 99th percentile."""
    _hey(url, 1, concurrency, headers)


def bench_environment(database_url: str, **extra: str) -> dict[str, str]:
    """Settings for a throwaway portal: its own var dir, no rate limits in the way."""
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(work),
        "SQLITE_PATH": str(work / "bench.sqlite3"),
        "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "API_RATE_LIMIT": "1000000000",
        "SIGNIN_RATE_LIMIT": "1000000000",
        "PICCOLO_CONF": "piccolo_conf",
        **extra,
    }
    env.pop("REDIS_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def use_environment(env: dict[str, str]) -> None:
    """Make this process (which seeds the data) use the same settings as the server."""
    os.environ.clear()
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


@contextmanager
def portal_server(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**env, "BASE_URL": base}
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
                raise SystemExit("the portal did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def write_report(name: str, database_url: str, loads: dict[str, Load], reference: str, **facts: Any) -> Path:
    """bench/results/<name>-<database>.json with each load's ratio to the reference; prints a table."""
    base = loads[reference].requests_per_second
    database = "postgresql" if database_url else "sqlite"
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": database,
        **facts,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": {
            label: {**load.as_dict(), "ratio_to_reference": round(load.requests_per_second / base, 3)}
            for label, load in loads.items()
        },
    }
    out = ROOT / "bench" / "results" / f"{name}-{database}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for label, load in loads.items():
        print(
            f"{label:45s} {load.requests_per_second:8.0f}/s  p99 {load.p99_ms:6.1f} ms  "
            f"ratio {load.requests_per_second / base:.3f}"
        )
    print(f"written to {out.relative_to(ROOT)}")
    return out
