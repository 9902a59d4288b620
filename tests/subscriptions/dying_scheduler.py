"""The scheduled-changes job killed (`kill -9`) in the middle of its run: a real process.

The test side: `start(step, now)` runs the job in a new process that believes it is `now` and
kills itself at `step`. The process side is this module run as

    python -m tests.subscriptions.dying_scheduler <step> <now, ISO 8601>

Steps: `in-transaction` (the first due change's effects are written, its transaction is not
committed), `between` (the first change is committed, the second not begun)."""

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


def start(step: str, now: dt.datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.subscriptions.dying_scheduler", step, now.isoformat()],
        cwd=ROOT,
        env=dict(os.environ),
    )


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def _main(step: str, now: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.core import clock
    from src.subscriptions import repository
    from src.subscriptions.services import changes

    moment = dt.datetime.fromisoformat(now)
    clock.now = lambda: moment  # type: ignore[assignment]
    if step == "in-transaction":
        insert_charge = repository.insert_charge

        async def charge_then_die(*args: Any, **kwargs: Any) -> Any:
            await insert_charge(*args, **kwargs)
            _die()

        repository.insert_charge = charge_then_die  # type: ignore[assignment]
    elif step == "between":
        move_change = repository.move_change
        calls = []

        async def second_move_dies(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            if len(calls) == 2:
                _die()
            return await move_change(*args, **kwargs)

        repository.move_change = second_move_dies  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown step {step}")
    await changes.apply_due()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
