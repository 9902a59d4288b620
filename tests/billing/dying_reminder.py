"""The daily reminder job killed (`kill -9`) half-way: a real process.

    python -m tests.billing.dying_reminder <now, ISO 8601>

It takes the first overdue invoice's step (committed), then dies while queueing the mails of the
second, inside that invoice's transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start(now: dt.datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.billing.dying_reminder", now.isoformat()],
        cwd=ROOT,
        env=dict(os.environ),
    )


async def _main(now: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.billing.services import reminders
    from src.core import clock

    moment = dt.datetime.fromisoformat(now)
    clock.now = lambda: moment  # type: ignore[assignment]
    original = reminders._queue_mail
    calls: list[int] = []

    async def dying(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return await original(*args, **kwargs)

    reminders._queue_mail = dying  # type: ignore[assignment]
    await reminders.send_due()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
