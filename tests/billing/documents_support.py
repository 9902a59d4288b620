"""An organisation with a final invoice for January 2027, and the workers' part of its documents
(the outbox relayed onto the in-process broker, the queued messages run as a worker would)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import outbox
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.workers import broker as broker_module
from tests import factories
from tests.core.outbox_support import queued, run
from tests.subscriptions.support import admin_actor

NOW = dt.datetime(2027, 2, 1, 6, tzinfo=dt.UTC)


def empty_broker() -> None:
    broker_module.get_actor("send_mail")  # every actor is declared
    broker_module.broker.flush_all()
    _waiting.clear()


async def invoiced(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(organisation, its contact person, its final invoice)."""
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation(
        name="Factuur Zorg B.V.", billing_address="Lindelaan 12\n3581 KD Utrecht", **fields
    )
    contact = await factories.member(org, role="contact_person", email="carla@factuurzorg.example")
    await ordering.order(
        admin, org["id"], service="webcert", variant="standalone", start=dt.date(2027, 1, 10)
    )
    started = await runs.start(admin, "2027-01")
    await runs.run_batch(started["id"], 0)
    invoice = await Invoice.select().where(Invoice.organisation == org["id"]).first()
    assert invoice is not None and invoice["status"] == "final"
    return org, contact, invoice


_waiting: list[Any] = []


async def work(actor_name: str, times: int = 1) -> int:
    """Relay the outbox and run the queued messages of this actor (`times` times each, as a
    message handed over again would be); the number of messages. Other actors' messages wait
    for their turn."""
    await outbox.relay()
    _waiting.extend(queued())
    messages = [m for m in _waiting if m.actor_name == actor_name]
    _waiting[:] = [m for m in _waiting if m.actor_name != actor_name]
    for message in messages:
        for _time in range(times):
            await run(message)
    return len(messages)
