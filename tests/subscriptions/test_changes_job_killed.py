"""The job that makes scheduled changes take effect, killed (`kill -9`) in the middle of its run:
every change takes effect exactly once, its fee is charged once and its mail is queued once,
whatever was written before the kill (rule SUB-3; nothing lost)."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from src.core import clock
from src.core.tables import OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import changes, ordering
from src.subscriptions.tables import Charge, Subscription, SubscriptionChange
from tests import factories
from tests.subscriptions import dying_scheduler
from tests.subscriptions.support import admin_actor

GIVEN = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
DUE = dt.datetime(2027, 4, 10, 6, tzinfo=dt.UTC)  # both downgrades take effect on 10 April


async def two_downgrades(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: GIVEN)
    await seed_catalogue()
    admin = await admin_actor()
    for _ in range(2):
        org = await factories.organisation(postal_address="Zorg B.V.\nLindelaan 12\n3581 KD Utrecht")
        await factories.member(org, role="contact_person")
        sub = await ordering.order(
            admin, org["id"], service="business_internet", variant="fibre", start=dt.date(2026, 6, 1)
        )
        await changes.change(admin, org["id"], sub["id"], kind="downgrade", variant="adsl")


async def applied_mails() -> int:
    keys = await OutboxMessage.select(OutboxMessage.dedupe_key)
    return sum(":applied:" in k["dedupe_key"] for k in keys)


@pytest.mark.parametrize(("step", "applied_when_killed"), [("in-transaction", 0), ("between", 1)])
async def test_a_job_killed_mid_run_leaves_each_change_applied_exactly_once(
    monkeypatch, step, applied_when_killed
):
    await two_downgrades(monkeypatch)
    process = dying_scheduler.start(step, DUE)
    assert process.wait(180) == -signal.SIGKILL

    assert (
        await SubscriptionChange.count().where(SubscriptionChange.status == "applied") == applied_when_killed
    )
    assert await Charge.count() == applied_when_killed
    assert await applied_mails() == applied_when_killed

    monkeypatch.setattr(clock, "now", lambda: DUE)
    assert await changes.apply_due() == 2 - applied_when_killed  # the next run
    assert await changes.apply_due() == 0
    assert await SubscriptionChange.count().where(SubscriptionChange.status == "applied") == 2
    assert sorted(c["amount_cents"] for c in await Charge.select()) == [7200, 7200]
    assert await applied_mails() == 2
    assert {s["price_cents"] for s in await Subscription.select()} == {3500}
