"""An organisation invoiced for January 2027 (two lines), for the credit-note and complaint tests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from src.billing.services import runs
from src.billing.tables import Invoice, InvoiceLine
from src.core import clock
from src.core.tables import OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from tests import factories
from tests.subscriptions.support import admin_actor


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def day(self, day: dt.date) -> None:
        self.moment = dt.datetime.combine(day, dt.time(12), dt.UTC)


async def invoiced(name: str = "Factuur Zorg B.V.") -> dict[str, Any]:
    """January 2027 invoiced on 1 February 2027: Webcert from 10 January (22 days) and business
    internet the whole month; the organisation, its contact person and the final invoice."""
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation(name=name)
    contact = await factories.member(org, role="contact_person")
    await ordering.order(
        admin, org["id"], service="webcert", variant="standalone", start=dt.date(2027, 1, 10)
    )
    await ordering.order(
        admin, org["id"], service="business_internet", variant="vdsl_b", start=dt.date(2026, 6, 1)
    )
    run = await runs.start(admin, "2027-01")
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)
    invoice = await Invoice.select().where(Invoice.organisation == org["id"]).first()
    lines = (
        await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    )
    return {"org": org, "contact": contact, "invoice": invoice, "lines": lines}


async def mails(prefix: str) -> list[dict[str, Any]]:
    rows = await OutboxMessage.select(OutboxMessage.payload, OutboxMessage.dedupe_key).order_by(
        OutboxMessage.id
    )
    found = []
    for row in rows:
        if row["dedupe_key"].startswith(prefix):
            payload = row["payload"]
            found.append(json.loads(payload) if isinstance(payload, str) else payload)
    return found


async def run_queued(actor_name: str) -> int:
    """What a worker does with each queued message of one actor, run on the test's own loop."""
    from src.workers.broker import ASYNC_IMPLEMENTATIONS

    rows = (
        await OutboxMessage.select().where(OutboxMessage.actor_name == actor_name).order_by(OutboxMessage.id)
    )
    for row in rows:
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        await ASYNC_IMPLEMENTATIONS[actor_name](**payload, dedupe_key=row["dedupe_key"])
    return len(rows)
