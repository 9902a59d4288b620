"""A billing run whose batch the workers gave up on is shown as failed, with the error, and a
vendor admin starts its failed batches again: what was invoiced stays, nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing import repository
from src.billing.services import runs
from src.billing.tables import Invoice
from src.core import clock, outbox
from src.core.tables import OutboxMessage
from src.settings import get_settings
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for
from tests.support import text_of


@pytest.fixture(autouse=True)
def on_the_first_of_february(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC))


async def give_up_on(run_id: int, position: int) -> None:
    """What the outbox does with a batch whose every attempt failed: after the last hand-over
    it is not done in time, and the sweeper marks it failed."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=get_settings().outbox_stale_after + 60)
    await OutboxMessage.update(
        {
            OutboxMessage.attempts: get_settings().outbox_max_attempts,
            OutboxMessage.dispatched_at: long_ago,
            OutboxMessage.last_error: "Traceback (most recent call last):\n  ...\n"
            "ConnectionDoesNotExistError: connection was closed in the middle of operation",
        }
    ).where(OutboxMessage.dedupe_key == f"billing-run:{run_id}:{position}")
    swept = await outbox.sweep_stuck()
    assert swept.failed == 1


async def test_a_failed_run_says_so_and_its_failed_batch_is_invoiced_again_once(client):
    await seed_catalogue()
    admin = await admin_actor()
    orgs = [await factories.organisation(name=f"Zorg {n} B.V.") for n in range(3)]
    for org in orgs:
        await ordering.order(
            admin, org["id"], service="webcert", variant="standalone", start=dt.date(2026, 6, 1)
        )
    run = await runs.start(admin, "2027-01", batch_size=2)
    assert run["batches_total"] == 2
    await runs.run_batch(run["id"], 0)  # two organisations invoiced
    await give_up_on(run["id"], 1)

    _admin, headers = await admin_headers()
    shown = (await client.get(f"/api/v1/billing-runs/{run['id']}", headers=headers)).json()
    assert shown["status"] == "failed" and shown["failed_batches"] == 1 and shown["invoices"] == 2
    assert shown["error"] == "ConnectionDoesNotExistError: connection was closed in the middle of operation"
    # The month is not done: a second run for it is still refused while this one waits.
    again = await client.post("/api/v1/billing-runs", json={"period": "2027-01"}, headers=headers)
    assert again.status_code == 409

    await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    page = text_of((await client.get("/admin/billing")).text)
    assert "Failed" in page and "1 batch could not be invoiced" in page and "connection was closed" in page
    retried = await client.post_form(f"/admin/billing/runs/{run['id']}/retry", {}, follow_redirects=True)
    assert "The failed batches of the run for 2027-01 are invoiced again." in text_of(retried.text)
    [row] = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"billing-run:{run['id']}:1")
    assert row["failed_at"] is None and row["attempts"] == 0  # handed to the workers again

    await runs.run_batch(run["id"], 1)  # what a worker does with it
    done = (await client.get(f"/api/v1/billing-runs/{run['id']}", headers=headers)).json()
    assert done["status"] == "done" and done["invoices"] == 3 and done["error"] == ""
    assert await Invoice.count() == 3
    assert [i["status"] for i in await repository.drafts_of_run(run["id"])] == []

    not_failed = await client.post(f"/api/v1/billing-runs/{run['id']}/retry", headers=headers)
    assert not_failed.status_code == 409 and "has not failed" in not_failed.text


async def test_only_vendor_admins_start_a_run_again(client):
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await ordering.order(admin, org["id"], service="webcert", variant="standalone", start=dt.date(2026, 6, 1))
    run = await runs.start(admin, "2027-01")
    await give_up_on(run["id"], 0)
    refused = await client.post(
        f"/api/v1/billing-runs/{run['id']}/retry", headers=await bearer_for(contact["person"], org["id"])
    )
    assert refused.status_code == 403
    _admin, headers = await admin_headers()
    missing = await client.post("/api/v1/billing-runs/999999/retry", headers=headers)
    assert missing.status_code == 404
    assert (await client.post(f"/api/v1/billing-runs/{run['id']}/retry", headers=headers)).status_code == 202
