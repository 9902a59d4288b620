"""A billing worker killed (`kill -9`) in the middle of a batch: a real process.

    python -m tests.billing.dying_biller <run id> <batch position> <step> <now, ISO 8601>

Steps: `between-organisations` (the first organisation's invoice is committed, the second's
transaction has begun), `numbering` (the batch is finalising its drafts: their block of numbers
taken, not committed)."""

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


def start(run_id: int, position: int, step: str, now: dt.datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.billing.dying_biller",
            str(run_id),
            str(position),
            step,
            now.isoformat(),
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _dying_on_call(owner: Any, name: str, call: int) -> None:
    original = getattr(owner, name)
    calls: list[int] = []

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == call:
            _die()
        return await original(*args, **kwargs)

    setattr(owner, name, wrapped)


async def _main(run_id: int, position: int, step: str, now: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.billing import repository
    from src.billing.services import invoicing, runs
    from src.core import clock

    moment = dt.datetime.fromisoformat(now)
    clock.now = lambda: moment  # type: ignore[assignment]
    if step == "between-organisations":
        _dying_on_call(invoicing, "_bill", 2)
    elif step == "numbering":
        _dying_on_call(repository, "number_claimed", 1)  # after take_from_series
    else:
        raise SystemExit(f"unknown step {step}")
    await runs.run_batch(run_id, position)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]))
