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
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.readme_support import (
    NOT_RUN,
    SERVERS,
    answers,
    begin,
    free_port,
    fresh_env,
    on_free_ports,
    readme_commands,
    run,
    start,
    stop_all,
    wait_until,
)


@pytest.fixture(name="fresh_env")
def fresh_env_fixture(tmp_path: Path) -> dict[str, str]:
    """A fresh shell's environment, plus the embedded default's files in a folder of their own."""
    return fresh_env(tmp_path)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Servers started by a test; each is stopped (its own process group) at the end."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    stop_all(procs)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.fail("`./portal worker` needs Redis: run this with TEST_REDIS_URL set (as `make test` does)")
    return url


def test_every_command_of_the_readme_is_known_here():
    for command in readme_commands():
        known = (
            command in NOT_RUN
            or command.startswith(("export ", "docker compose ", "TOKEN=$(./portal ", "curl "))
            or command.startswith(("./portal ", "DEMO_OIDC_PORT="))
        )
        assert known, f"the README shows a command this test does not run: {command}"
        assert "uv run" not in command, command


def test_the_production_commands_and_the_api_examples_work_in_a_fresh_shell(
    fresh_env, redis_url, started, tmp_path
):
    commands = readme_commands()
    port = free_port()
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
    # The demo data `make run` loads, for the API example below: loaded while the servers start.
    seeding = begin("./portal seed-demo", env)
    wait_until(lambda: answers(f"{base}/health"), started[0], tmp_path / "run.log")
    wait_until(
        lambda: "worker ready" in (tmp_path / "worker.log").read_text(), started[1], tmp_path / "worker.log"
    )

    # The API example, on the demo data.
    _out, seed_errors = seeding.communicate(timeout=300)
    assert seeding.returncode == 0, seed_errors
    api = [c.replace("http://127.0.0.1:8000", base) for c in commands if c.startswith(("TOKEN=$(", "curl "))]
    done = run("set -e\n" + "".join(f"{c}\necho\n" for c in api), env)
    assert done.returncode == 0, done.stderr
    me_text, users_text = [part for part in done.stdout.split("\n") if part.strip()][:2]
    me = json.loads(me_text)
    assert me["person"]["email"] == "e.janssen@delinde-zorg.example", me
    assert me["organisation"]["id"] == 1, me  # the id the example uses
    users = json.loads(users_text)
    assert "Pieter de Vries" in {user["name"] for user in users}, users
