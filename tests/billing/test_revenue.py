"""Revenue: final invoices minus credit notes, net of VAT, by the month invoiced, per payer."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing.services import credits, revenue, runs
from src.billing.services.proration import Period
from src.billing.tables import Invoice, InvoiceLine
from src.core.errors import Forbidden
from src.core.i18n import format_money
from src.core.tenancy import Actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.repository import insert_charge
from src.subscriptions.services import changes, ordering
from src.subscriptions.tables import Service
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor
from tests.support import text_of


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


async def test_revenue_per_month_and_payer_is_net_of_vat_and_credit_notes(at):
    north = await invoiced("Zorg Noord B.V.")
    south = await invoiced("Zorg Zuid B.V.")
    admin = await admin_actor()
    net = {r["id"]: r["net_cents"] for r in await Invoice.select(Invoice.id, Invoice.net_cents)}
    credited = north["lines"][0]
    await credits.credit(admin, north["invoice"]["id"], "Wrong start date", [credited["id"]])
    months = await revenue.per_month(admin, Period.parse("2027-01"))
    assert len(months) == 12 and months[0]["period"] == "2026-02"
    expected = net[north["invoice"]["id"]] + net[south["invoice"]["id"]] - credited["net_cents"]
    assert months[-1] == {"period": "2027-01", "net_cents": expected}
    assert all(m["net_cents"] == 0 for m in months[:-1])
    payers = await revenue.per_payer(admin, ["2027-01"])
    assert payers == [
        {"payer_kind": "organisation", "name": "Zorg Zuid B.V.", "net_cents": net[south["invoice"]["id"]]},
        {
            "payer_kind": "organisation",
            "name": "Zorg Noord B.V.",
            "net_cents": net[north["invoice"]["id"]] - credited["net_cents"],
        },
    ]


async def test_only_vendor_admins_read_revenue(at):
    with pytest.raises(Forbidden):
        await revenue.per_month(Actor(person_id=5, name="Someone"), Period.parse("2027-01"))


async def test_the_revenue_page_shows_the_chart_and_the_payers(client, at):
    made = await invoiced("Zorg Noord B.V.")
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert 'href="/admin/billing/revenue"' in (await client.get("/admin/billing")).text
    page = await client.get("/admin/billing/revenue")
    assert page.status_code == 200
    assert "<svg" in page.text and "Revenue per month, the last 12 months" in page.text
    money = format_money(made["invoice"]["net_cents"])
    assert f"2027-01: {money}" in page.text
    text = text_of(page.text)
    assert "without VAT" in text and "Zorg Noord B.V." in text and money in text


async def test_a_contact_person_may_not_read_revenue(client, at):
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    assert (await client.get("/admin/billing/revenue")).status_code == 403


async def test_revenue_per_service_follows_each_line_to_its_service_and_credit_notes_subtract(client, at):
    north = await invoiced("Zorg Noord B.V.")
    certified = await factories.organisation(name="Zorg Cert B.V.")
    await insert_charge(
        certified["id"],
        source_type="certificate",
        source_id=11,
        description="UZI server certificate 2027-0011",
        amount_cents=45000,
        chargeable_on=dt.date(2027, 1, 20),
    )
    south = await invoiced("Zorg Zuid B.V.")
    admin = await admin_actor()
    webcert, internet = north["lines"]
    await credits.credit(admin, north["invoice"]["id"], "Wrong start date", [webcert["id"]])
    names = {r["code"]: r["name_en"] for r in await Service.select(Service.code, Service.name_en)}
    south_webcert, south_internet = south["lines"]
    rows = await revenue.per_service(admin, ["2027-01"])
    expected = {
        names["webcert"]: south_webcert["net_cents"],  # north's Webcert line is credited in full
        names["business_internet"]: internet["net_cents"] + south_internet["net_cents"],
        "Certificate fees": 45000,
    }
    assert {r["name"]: r["net_cents"] for r in rows} == expected
    assert rows[-1]["name"] == "Certificate fees"  # after the catalogue's services
    assert await revenue.per_service(admin, ["2026-12"]) == []
    total = sum(m["net_cents"] for m in await revenue.per_month(admin, Period.parse("2027-01")))
    assert sum(expected.values()) == total

    admin_person = await factories.vendor_admin(locale="nl")
    await sign_in_person(client, admin_person, provider="staff")
    text = text_of((await client.get("/admin/billing/revenue")).text)
    assert "Per dienst" in text and "Certificaatkosten" in text and "450,00" in text


async def test_one_time_fees_have_their_own_row_and_a_credited_fee_subtracts(at):
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation(name="Zorg Snel B.V.")
    await factories.member(org, role="contact_person")
    sub = await ordering.order(
        admin, org["id"], service="business_internet", variant="vdsl_b", start=dt.date(2026, 6, 1)
    )
    at.day(dt.date(2027, 1, 20))
    await changes.change(admin, org["id"], sub["id"], kind="upgrade", variant="fibre")  # SUB-5: EUR 75
    await insert_charge(
        org["id"],
        source_type="certificate",
        source_id=12,
        description="UZI server certificate 2027-0012",
        amount_cents=45000,
        chargeable_on=dt.date(2027, 1, 25),
    )
    at.day(dt.date(2027, 2, 1))
    run = await runs.start(admin, "2027-01")
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)
    invoice = await Invoice.select().where(Invoice.organisation == org["id"]).first()
    lines = (
        await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    )
    certificate = next(x for x in lines if x["net_cents"] == 45000)
    await credits.credit(admin, invoice["id"], "Certificate reimbursed", [certificate["id"]])
    rows = await revenue.per_service(admin, ["2027-01"])
    internet = (await Service.select(Service.name_en).where(Service.code == "business_internet").first())[
        "name_en"
    ]
    assert rows == [
        {"key": rows[0]["key"], "name": internet, "net_cents": 3371 + 3290},  # vDSL-B, then fibre
        {"key": "certificates", "name": "Certificate fees", "net_cents": 0},
        {"key": "fees", "name": "One-time fees", "net_cents": 7500},
    ]
