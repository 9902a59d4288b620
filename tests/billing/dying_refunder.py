"""A worker refunding a credit note through Stripe, killed (`kill -9`) after Stripe refunded and
before the portal recorded it: a real process.

    python -m tests.billing.dying_refunder <organisation id> <credit note id> <now, ISO 8601>"""

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


def start(organisation_id: int, credit_note_id: int, now: dt.datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.billing.dying_refunder",
            str(organisation_id),
            str(credit_note_id),
            now.isoformat(),
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )


async def _main(organisation_id: int, credit_note_id: int, now: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.billing import repository
    from src.billing.services import stripe_refunds
    from src.core import clock

    moment = dt.datetime.fromisoformat(now)
    clock.now = lambda: moment  # type: ignore[assignment]

    async def dying(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGKILL)

    repository.insert_refund = dying  # type: ignore[assignment]
    await stripe_refunds.refund(organisation_id, credit_note_id)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
