"""A billing worker killed (`kill -9`) mid-batch: when the batch runs again (the outbox hands it
over), every organisation has one invoice for the month, every charge is on one invoice and the
numbers have no gaps (rules BIL-1..BIL-5; nothing lost, nothing twice)."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import clock
from src.subscriptions import repository as subscriptions_repository
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.subscriptions.tables import Charge
from tests import factories
from tests.billing import dying_biller
from tests.subscriptions.support import admin_actor

NOW = dt.datetime(2027, 2, 1, 6, tzinfo=dt.UTC)


@pytest.mark.parametrize(("step", "invoices_when_killed"), [("between-organisations", 1), ("numbering", 3)])
async def test_a_killed_batch_run_again_invoices_each_organisation_once_without_gaps(
    monkeypatch, step, invoices_when_killed
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    await seed_catalogue()
    admin = await admin_actor()
    for index in range(3):
        org = await factories.organisation()
        await ordering.order(
            admin, org["id"], service="webcert", variant="standalone", start=dt.date(2026, 6, 1)
        )
        await subscriptions_repository.insert_charge(
            org["id"],
            source_type="certificate",
            source_id=index + 1,
            description=f"UZI server certificate 2027-000{index + 1}",
            amount_cents=45000,
            chargeable_on=dt.date(2027, 1, 20),
        )
    run = await runs.start(admin, "2027-01")
    process = dying_biller.start(run["id"], 0, step, NOW)
    assert process.wait(180) == -signal.SIGKILL

    assert await Invoice.count() == invoices_when_killed
    assert (
        await Invoice.count().where(Invoice.number.is_not_null()) == 0
    )  # numbers die with their transaction

    await runs.run_batch(run["id"], 0)  # the outbox hands the batch over again
    await runs.run_batch(run["id"], 0)  # and once more: nothing changes
    invoices = await Invoice.select().order_by(Invoice.number)
    assert [i["number"] for i in invoices] == ["2027-000001", "2027-000002", "2027-000003"]
    assert len({i["organisation"] for i in invoices}) == 3
    assert all(i["net_cents"] == 9900 + 45000 for i in invoices)
    assert await Charge.count().where(Charge.status == "invoiced") == 3
