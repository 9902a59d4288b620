"""The subscriptions domain's answers to other domains' events (src/core/events.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import events
from src.core.tenancy import Actor
from src.subscriptions.services import charges


@events.subscribe(events.CERTIFICATE_ISSUED)
async def charge_the_certificate_fee(
    actor: Actor,
    organisation: dict[str, Any],
    certificate_id: int,
    kind: str,
    number: str,
    issued_at: dt.datetime,
    **_: Any,
) -> None:
    """Rule BIL-1: the fee is for a server certificate (BIL-2: chargeable 14 days later)."""
    if kind == "server":
        await charges.charge_for_certificate(
            actor,
            organisation=organisation,
            certificate_id=certificate_id,
            number=number,
            issued_at=issued_at,
        )


@events.subscribe(events.CERTIFICATE_REIMBURSED)
async def third_party_pays(certificate_id: int, reimbursed_by: str, **_: Any) -> None:
    """Rule BIL-4: the party that reimburses the certificate pays its fee, unless already invoiced."""
    await charges.charge_third_party(certificate_id, reimbursed_by)
