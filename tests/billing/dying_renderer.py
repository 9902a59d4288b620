"""A worker killed (`kill -9`) while it makes an invoice's documents: a real process.

    python -m tests.billing.dying_renderer <outbox dedupe key> <step> <now, ISO 8601>

It runs the outbox row of the key as `portal worker` would (the actor, with its row tracked) and
kills itself at `step`: `mid-render` (the PDF is rendered, nothing stored), `before-done` (the
documents are stored and the mail queued, the outbox row not yet done)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start(key: str, step: str, now: dt.datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.billing.dying_renderer", key, step, now.isoformat()],
        cwd=ROOT,
        env=dict(os.environ),
    )


def _die(*_args: Any, **_kwargs: Any) -> Any:
    os.kill(os.getpid(), signal.SIGKILL)


async def _main(key: str, step: str, now: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.billing.services import pdf
    from src.core import clock, outbox
    from src.core.tables import OutboxMessage
    from src.workers import broker

    moment = dt.datetime.fromisoformat(now)
    clock.now = lambda: moment  # type: ignore[assignment]
    if step == "mid-render":
        render = pdf.render

        async def dying_render(*args: Any, **kwargs: Any) -> bytes:
            await render(*args, **kwargs)
            _die()
            raise AssertionError("unreachable")

        pdf.render = dying_render  # type: ignore[assignment]
    elif step == "before-done":

        async def dying_mark_done(*args: Any, **kwargs: Any) -> None:
            _die()

        outbox.mark_done = dying_mark_done  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown step {step}")
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None, key
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    implementation = broker.ASYNC_IMPLEMENTATIONS[row["actor_name"]]
    await broker._tracked(row["actor_name"], implementation, {**payload, "dedupe_key": key})


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3]))
