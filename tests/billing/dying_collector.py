"""A worker collecting a direct debit, killed (`kill -9`) at a step: a real process.

    python -m tests.billing.dying_collector <organisation id> <invoice id> <step>

Steps: `made` (Stripe has made the PaymentIntent; the portal has not stored it), `confirmed`
(Stripe has confirmed it; the portal has not stored its status)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start(organisation_id: int, invoice_id: int, step: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.billing.dying_collector", str(organisation_id), str(invoice_id), step],
        cwd=ROOT,
        env=dict(os.environ),
    )


def _dying_on_first_call(owner: Any, name: str) -> None:
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(owner, name, wrapped)


async def _main(organisation_id: int, invoice_id: int, step: str) -> None:
    import src.domains  # noqa: F401 - the portal as `portal worker` loads it
    from src.billing import repository
    from src.billing.services import direct_debit

    if step == "made":
        _dying_on_first_call(repository, "insert_intent")
    elif step == "confirmed":
        _dying_on_first_call(repository, "set_intent_status")
    else:
        raise SystemExit(f"unknown step {step}")
    await direct_debit.collect(organisation_id, invoice_id)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
