"""The README's shell commands work as written in a fresh shell: each one runs from the
repository root in `env -i` with only HOME and PATH=/usr/bin:/bin, where uv (in ~/.local/bin
after `make run`) is not on the PATH.

The commands are read from the README's ```sh blocks, and each must be known here:
- `export` lines hold example values (a database at db.internal, portal.example.org, ...); the
  test exports its own instead: a fresh SQLite file, the tests' Redis, the started server's address.
- commands that start a server (`./portal run`, `./portal run-demo`, `./portal worker`) are
  started, must answer (`/health`, the demo provider's discovery, the worker's "worker ready"),
  and are stopped; ports become free ones, and `--host 0.0.0.0` becomes 127.0.0.1.
- the API example runs as one script against the started `./portal run`, on the demo data.
- not run: `make run` (the set-up this all comes after; it serves on the fixed port 8000),
  `make test` (this suite) and `docker compose` (no Docker daemon on the test machines)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = {
    "make run": "the set-up before these commands; serves on the fixed port 8000",
    "make test": "the whole suite, this test among it",
}
SERVERS = re.compile(r"\./portal (run|run-demo|worker)\b")


def readme_commands() -> list[str]:
    """Every command of the README's sh blocks: continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#[^'\"]*$", "", line).strip()
            if line:
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fresh_env(tmp_path: Path) -> dict[str, str]:
    """A fresh shell's environment, plus the embedded default's files in a folder of their own."""
    return {
        "HOME": os.environ["HOME"],
        "PATH": "/usr/bin:/bin",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.fail("`./portal worker` needs Redis: run this with TEST_REDIS_URL set (as `make test` does)")
    return url


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Servers started by a test; each is stopped (its own process group) at the end."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start(command: str, env: dict[str, str], log: Path, procs: list[subprocess.Popen[str]]) -> None:
    handle = log.open("w")
    procs.append(
        subprocess.Popen(
            ["/bin/bash", "-c", command],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    )


def wait_until(check, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"did not start (exit {proc.poll()}):\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def on_free_ports(command: str, port: int) -> str:
    command = command.replace("--host 0.0.0.0", "--host 127.0.0.1")
    return re.sub(r"--port \d+", f"--port {port}", command)


def test_every_command_of_the_readme_is_known_here():
    for command in readme_commands():
        known = (
            command in NOT_RUN
            or command.startswith(("export ", "docker compose ", "TOKEN=$(./portal ", "curl "))
            or command.startswith(("./portal ", "DEMO_OIDC_PORT="))
        )
        assert known, f"the README shows a command this test does not run: {command}"
        assert "uv run" not in command, command


def test_the_demo_on_other_ports_starts_in_a_fresh_shell(fresh_env, started, tmp_path):
    (command,) = [c for c in readme_commands() if "run-demo" in c]
    portal_port, provider_port = _free_port(), _free_port()
    command = re.sub(
        r"DEMO_OIDC_PORT=\d+", f"DEMO_OIDC_PORT={provider_port}", on_free_ports(command, portal_port)
    )
    log = tmp_path / "run-demo.log"
    start(command, fresh_env, log, started)
    wait_until(lambda: answers(f"http://127.0.0.1:{portal_port}/health"), started[0], log)
    discovery = httpx.get(f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration", timeout=5)
    assert discovery.json()["issuer"] == f"http://127.0.0.1:{provider_port}"
    signin = httpx.get(f"http://127.0.0.1:{portal_port}/signin", timeout=5)
    assert "Sign in with your e-ID" in signin.text


def test_the_production_commands_and_the_api_examples_work_in_a_fresh_shell(
    fresh_env, redis_url, started, tmp_path
):
    commands = readme_commands()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**fresh_env, "REDIS_URL": redis_url, "BASE_URL": base, "SECRET_KEY": "x" * 64}

    # The one-shot commands of "Running with PostgreSQL and Redis".
    said = ""
    for command in commands:
        if command.startswith("./portal ") and not SERVERS.match(command):
            done = run(command, env)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            said += done.stdout
    assert "Ada Admin" in said

    # The servers: the web app answers, the worker is ready.
    (web,) = [c for c in commands if c.startswith("./portal run ")]
    (worker,) = [c for c in commands if c.startswith("./portal worker")]
    start(on_free_ports(web, port), env, tmp_path / "run.log", started)
    start(worker, env, tmp_path / "worker.log", started)
    wait_until(lambda: answers(f"{base}/health"), started[0], tmp_path / "run.log")
    wait_until(
        lambda: "worker ready" in (tmp_path / "worker.log").read_text(), started[1], tmp_path / "worker.log"
    )

    # The API example, on the demo data `make run` loads.
    seeded = run("./portal seed-demo", env)
    assert seeded.returncode == 0, seeded.stderr
    api = [c.replace("http://127.0.0.1:8000", base) for c in commands if c.startswith(("TOKEN=$(", "curl "))]
    done = run("set -e\n" + "".join(f"{c}\necho\n" for c in api), env)
    assert done.returncode == 0, done.stderr
    me_text, users_text = [part for part in done.stdout.split("\n") if part.strip()][:2]
    me = json.loads(me_text)
    assert me["person"]["email"] == "e.janssen@delinde-zorg.example", me
    assert me["organisation"]["id"] == 1, me  # the id the example uses
    users = json.loads(users_text)
    assert "Pieter de Vries" in {user["name"] for user in users}, users
