"""A worker killed while it sends a mail: a real process, killed with SIGKILL (`kill -9`).

The test side: `start(key, step, port)` runs the outbox row of `key` in a new process, as
`portal worker` would (the actor, with its outbox row tracked), and that process kills itself
at `step`; with step "none" it runs on until the test kills it (while `HoldingServer`, a real
SMTP server, holds back its answer at RCPT or DATA). The process side is this module run as

    python -m tests.core.dying_worker <dedupe key> <step>

Steps: before-claim, before-connect, before-confirm, before-scrub (the confirmation letter's
code), before-done, after-done, none."""

from __future__ import annotations

import asyncio
import email
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class HoldingServer:
    """aiosmtpd that keeps what it receives; with `hold_at` set ("RCPT" or "DATA", the latter
    after it has the message) it answers nothing until `release` is set."""

    def __init__(self, hold_at: str | None = None) -> None:
        self.messages: list[Message] = []
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold(self, step: str) -> None:
        if self.hold_at == step:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._hold("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        await self._hold("DATA")
        return "250 Message accepted"


def start(key: str, step: str, smtp_port: int, mail_from: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TIMEOUT": "30",
        "MAIL_FROM": mail_from,
    }
    return subprocess.Popen([sys.executable, "-m", "tests.core.dying_worker", key, step], cwd=ROOT, env=env)


def killed(process: subprocess.Popen[bytes], server: HoldingServer | None = None) -> None:
    """Wait for the worker to die; kill it first when the server holds its answer."""
    if server is not None and server.hold_at:
        assert server.holding.wait(180), "the worker never reached the server's held step"
        process.kill()
    assert process.wait(60) == -signal.SIGKILL
    if server is not None:
        server.release.set()


# --- the worker process --------------------------------------------------------------------------


def _die(*_args: Any, **_kwargs: Any) -> Any:
    os.kill(os.getpid(), signal.SIGKILL)


def _dying_before(owner: Any, name: str) -> None:
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):

        async def dying(*args: Any, **kwargs: Any) -> Any:
            _die()

        setattr(owner, name, dying)
    else:
        setattr(owner, name, _die)


async def _main(key: str, step: str) -> None:
    import src.domains  # noqa: F401 - declares every actor (slower: the PDF letters)
    from src.core import mail, outbox
    from src.core.tables import OutboxMessage
    from src.workers import broker

    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None, key
    if row["actor_name"] not in broker.ASYNC_IMPLEMENTATIONS:  # src.core.mail declares send_mail
        broker.get_actor(row["actor_name"])
    steps = {
        "before-claim": (mail, "_claim"),
        "before-connect": (mail, "_send_over_smtp"),
        "before-confirm": (mail, "_confirm"),
        "before-scrub": ("src.certificates.services.confirmation", "_scrub"),
        "before-done": (outbox, "mark_done"),
    }
    if step in steps:
        owner, name = steps[step]
        _dying_before(importlib.import_module(owner) if isinstance(owner, str) else owner, name)
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    implementation = broker.ASYNC_IMPLEMENTATIONS[row["actor_name"]]
    await broker._tracked(row["actor_name"], implementation, {**payload, "dedupe_key": key})
    if step == "after-done":
        _die()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
