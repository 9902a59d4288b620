"""The README's demo command (`./portal run-demo`, on other ports) starts in a fresh shell and
answers: the portal, and the demo's own OpenID provider (see tests/test_readme_commands.py for
how the README's commands are run)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.readme_support import (
    answers,
    free_port,
    fresh_env,
    on_free_ports,
    readme_commands,
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


def test_the_demo_on_other_ports_starts_in_a_fresh_shell(fresh_env, started, tmp_path):
    (command,) = [c for c in readme_commands() if "run-demo" in c]
    portal_port, provider_port = free_port(), free_port()
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
