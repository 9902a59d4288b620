"""The billing domain's answers to other domains' events (src/core/events.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing.services import advance
from src.core import events


@events.subscribe(events.ORDER_AWAITING_SECURITY)
async def invoice_the_advance(
    organisation: dict[str, Any],
    subscription_id: int,
    service: dict[str, Any],
    variant: dict[str, Any],
    quantity: int,
    unit_price_cents: int,
    starts_on: dt.date,
    **_: Any,
) -> None:
    """Rule BIL-11: an order of an organisation asked for security waits for its advance invoice,
    made and finalised in the order's transaction (its documents are mailed once it commits)."""
    await advance.make_advance_invoice(
        int(organisation["id"]), subscription_id, service, variant, quantity, unit_price_cents, starts_on
    )
