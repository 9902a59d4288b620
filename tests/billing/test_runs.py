"""Monthly billing runs: one invoice per payer and month, exact to the day, every charge on
exactly one invoice, gapless numbers (rules BIL-1..BIL-5, SUB-2..SUB-4)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from src.billing import repository
from src.billing.services import numbering, runs
from src.billing.tables import BillingBatch, BillingRun, Invoice, InvoiceLine
from src.core import clock, db
from src.core.errors import Conflict, InputError
from src.subscriptions import repository as subscriptions_repository
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import changes, ordering
from src.subscriptions.tables import Charge
from src.tenants.tables import Organisation
from tests import factories
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for

D = dt.date


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def day(self, day: dt.date) -> None:
        self.moment = dt.datetime.combine(day, dt.time(12), dt.UTC)


@pytest.fixture
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


async def customer(country: str = "NL", **fields) -> dict:
    org = await factories.organisation(
        country=country, postal_address="Zorg B.V.\nLindelaan 12\n3581 KD Utrecht", **fields
    )
    await factories.member(org, role="contact_person")
    return org


async def run_all(run: dict) -> None:
    """What the workers do with the run's batches."""
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)


async def test_a_month_is_invoiced_per_day_with_its_fees_and_third_party_charges(at):
    await seed_catalogue()
    admin = await admin_actor()
    upgraded = await customer()
    sub = await ordering.order(
        admin, upgraded["id"], service="business_internet", variant="vdsl_b", start=D(2026, 6, 1)
    )
    at.day(D(2027, 1, 20))
    await changes.change(admin, upgraded["id"], sub["id"], kind="upgrade", variant="fibre")  # SUB-2, fee 75
    started = await customer()
    await ordering.order(admin, started["id"], service="webcert", variant="standalone", start=D(2027, 1, 10))
    certified = await customer()
    await subscriptions_repository.insert_charge(
        certified["id"],
        source_type="certificate",
        source_id=1,
        description="UZI server certificate 2027-0001",
        amount_cents=45000,
        chargeable_on=D(2027, 1, 25),
    )
    await subscriptions_repository.insert_charge(
        certified["id"],
        source_type="certificate",
        source_id=2,
        description="UZI server certificate 2027-0002",
        amount_cents=45000,
        chargeable_on=D(2027, 1, 26),
        payer_kind="third_party",
        payer_name="VZVZ",
    )
    await subscriptions_repository.insert_charge(  # due in February: not on January's invoice
        certified["id"],
        source_type="certificate",
        source_id=3,
        description="UZI server certificate 2027-0003",
        amount_cents=45000,
        chargeable_on=D(2027, 2, 1),
    )

    at.day(D(2027, 2, 1))
    run = await runs.start(admin, "2027-01")
    assert run["batches_total"] == 1 and run["organisations"] == 3
    await run_all(run)

    invoices = {
        (i["organisation"], i["payer_kind"]): i for i in await Invoice.select().order_by(Invoice.number)
    }
    assert [i["number"] for i in await Invoice.select().order_by(Invoice.number)] == [
        "2027-000001",
        "2027-000002",
        "2027-000003",
        "2027-000004",
    ]
    first = invoices[(upgraded["id"], "organisation")]
    lines = (
        await InvoiceLine.select().where(InvoiceLine.invoice == first["id"]).order_by(InvoiceLine.position)
    )
    # vDSL-B 1-19 January (19 days of 31 at 5500), fibre 20-31 (12 days at 8500), the upgrade fee
    assert [(x["quantity"], x["unit_code"], x["net_cents"]) for x in lines] == [
        ("19.00", "DAY", 3371),
        ("12.00", "DAY", 3290),
        ("1.00", "C62", 7500),
    ]
    assert first["net_cents"] == 14161 and first["vat_cents"] == 2974 and first["total_cents"] == 17135
    assert first["issued_on"] == D(2027, 2, 1) and first["due_on"] == D(2027, 3, 3)
    assert invoices[(started["id"], "organisation")]["net_cents"] == 7026  # 22 of 31 days of 9900
    assert invoices[(certified["id"], "organisation")]["net_cents"] == 45000  # BIL-1
    third = invoices[(certified["id"], "third_party")]
    assert third["payer_name"] == "VZVZ" and third["net_cents"] == 45000  # BIL-4
    assert await Charge.count().where(Charge.status == "pending") == 1  # February's
    assert (await repository.run(run["id"]))["status"] == "done"


async def test_a_run_repeated_or_its_batch_run_twice_invoices_nothing_twice(at):
    await seed_catalogue()
    admin = await admin_actor()
    for _ in range(3):
        org = await customer()
        await ordering.order(admin, org["id"], service="webcert", variant="standalone", start=D(2026, 6, 1))
    at.day(D(2027, 2, 1))
    run = await runs.start(admin, "2027-01", batch_size=2)
    assert run["batches_total"] == 2
    await asyncio.gather(
        runs.run_batch(run["id"], 0), runs.run_batch(run["id"], 0), runs.run_batch(run["id"], 1)
    )
    await run_all(run)
    again = await runs.start(admin, "2027-01")
    await run_all(again)
    assert await Invoice.count() == 3
    assert sorted(i["number"] for i in await Invoice.select(Invoice.number)) == [
        "2027-000001",
        "2027-000002",
        "2027-000003",
    ]
    assert await BillingBatch.count().where(BillingBatch.done.eq(False)) == 0


async def test_a_second_run_for_a_month_while_one_runs_is_refused(at):
    await seed_catalogue()
    admin = await admin_actor()
    org = await customer()
    await ordering.order(admin, org["id"], service="webcert", variant="standalone", start=D(2026, 6, 1))
    at.day(D(2027, 2, 1))
    results = await asyncio.gather(
        runs.start(admin, "2027-01"), runs.start(admin, "2027-01"), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert await BillingRun.count() == 1
    with pytest.raises(Conflict):
        await runs.start(admin, "2027-01")


@pytest.mark.parametrize("period", ["2027-02", "2027-13", "january", ""])
async def test_only_a_month_that_has_ended_is_invoiced(at, period):
    at.day(D(2027, 2, 28))
    with pytest.raises(InputError) as refused:
        await runs.start(await admin_actor(), period)
    assert "period" in refused.value.errors
    assert await BillingRun.count() == 0


async def test_concurrent_finalisations_take_numbers_without_gaps_or_collisions(at):
    numbers = await asyncio.gather(*[_take() for _ in range(20)])
    assert sorted(numbers) == [f"2027-{n:06d}" for n in range(1, 21)]
    assert await numbering.take("credit_note", 2027) == "C2027-000001"
    assert await numbering.take("invoice", 2028) == "2028-000001"


async def _take() -> str:
    async with db.transaction():
        return await numbering.take("invoice", 2027)


async def test_the_api_starts_a_run_and_shows_its_progress_and_the_invoices(client, at):
    await seed_catalogue()
    admin = await admin_actor()
    org = await customer()
    await ordering.order(admin, org["id"], service="webcert", variant="standalone", start=D(2026, 6, 1))
    at.day(D(2027, 2, 1))
    _admin, headers = await admin_headers()
    started = await client.post("/api/v1/billing-runs", json={"period": "2027-01"}, headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running" and started.json()["organisations"] == 1
    early = await client.post("/api/v1/billing-runs", json={"period": "2027-02"}, headers=headers)
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "period"
    await run_all(await repository.run(started.json()["id"]))
    done = (await client.get(f"/api/v1/billing-runs/{started.json()['id']}", headers=headers)).json()
    assert done["status"] == "done" and done["invoices"] == 1 and done["total_cents"] == 11979  # 9900 + 21 %

    contact = await factories.member(org, role="contact_person")
    own = await bearer_for(contact["person"], org["id"])
    [invoice] = (await client.get(f"/api/v1/organisations/{org['id']}/invoices", headers=own)).json()
    assert (
        invoice["number"] == "2027-000001" and invoice["kind"] == "invoice" and invoice["period"] == "2027-01"
    )
    assert invoice["lines"][0]["vat_category"] == "S" and invoice["lines"][0]["vat_rate"] == 21
    refused = await client.post("/api/v1/billing-runs", json={"period": "2027-01"}, headers=own)
    assert refused.status_code == 403
    other = await customer()
    stranger = await factories.member(other, role="contact_person")
    answer = await client.get(
        f"/api/v1/organisations/{org['id']}/invoices/{invoice['id']}",
        headers=await bearer_for(stranger["person"], other["id"]),
    )
    assert answer.status_code == 404


async def test_a_reverse_charged_customer_pays_no_vat(at):
    await seed_catalogue()
    admin = await admin_actor()
    org = await customer("SE")
    await invoicing_with_vat_number(org)
    await ordering.order(admin, org["id"], service="webcert", variant="standalone", start=D(2026, 6, 1))
    at.day(D(2027, 2, 1))
    await run_all(await runs.start(admin, "2027-01"))
    invoice = await Invoice.select().first()
    assert invoice["reverse_charge"] and invoice["vat_cents"] == 0 and invoice["total_cents"] == 9900
    assert {x["vat_category"] for x in await InvoiceLine.select()} == {"AE"}


async def invoicing_with_vat_number(org: dict) -> None:
    await Organisation.update({Organisation.vat_number: "SE556781234101"}).where(Organisation.id == org["id"])
