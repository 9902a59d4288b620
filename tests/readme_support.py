"""The README's shell commands, read from its ```sh blocks, and how the tests of
tests/test_readme_commands.py and tests/test_readme_demo_command.py run them: in a fresh shell
(`env -i` with only HOME and PATH=/usr/bin:/bin), servers in process groups of their own that are
stopped at the end, on free ports."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_env(tmp_path: Path) -> dict[str, str]:
    """A fresh shell's environment, plus the embedded default's files in a folder of their own."""
    return {
        "HOME": os.environ["HOME"],
        "PATH": "/usr/bin:/bin",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
    }


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def begin(command: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`run`, without waiting for it to end (`communicate()` waits)."""
    return subprocess.Popen(
        ["/bin/bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_all(procs: list[subprocess.Popen[str]]) -> None:
    """Stop servers a test started, each with its own process group."""
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
