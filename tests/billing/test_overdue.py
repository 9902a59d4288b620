"""Overdue ageing and days sales outstanding as of a day (rules BIL-4, BIL-7): what is open past
the due date in buckets of 0-30, 31-60, 61-90 and over 90 days, per payer kind, and in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.services import balances, credits, overdue, payments
from src.billing.tables import Invoice
from src.core.errors import Forbidden
from src.core.tenancy import Actor, TenantScope
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.billing.overdue_support import credited, final_invoice, paid
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for
from tests.support import vendor_today

D = dt.date
AS_OF = D(2027, 6, 30)


def late(days: int) -> dt.date:
    """The due date of an invoice `days` days late on AS_OF."""
    return AS_OF - dt.timedelta(days=days)


def buckets(found: dict, kind: str = "total") -> list[int]:
    return [found["buckets"][kind][key] for key in overdue.BUCKETS]


async def test_bucket_boundaries_by_days_past_the_due_date():
    # rule BIL-7: overdue the day after the due date; 30|31, 60|61 and 90|91 days fall apart
    org = await factories.organisation()
    for days, cents in ((0, 1), (1, 10), (30, 100), (31, 1_000), (60, 10_000), (61, 100_000)):
        await final_invoice(org, cents, late(days))
    await final_invoice(org, 1_000_000, late(90))
    await final_invoice(org, 10_000_000, late(91))
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert buckets(found) == [110, 11_000, 1_100_000, 10_000_000]
    assert found["buckets"]["total"]["total_cents"] == 11_111_110
    assert found["buckets"]["total"]["not_due_cents"] == 1  # due today: not overdue yet
    assert found["receivables_cents"] == 11_111_111
    # A day later each moves on: the one 30 days late is 31 days late.
    later = await overdue.ageing(await admin_actor(), AS_OF + dt.timedelta(days=1))
    assert buckets(later) == [11, 1_100, 110_000, 11_000_000]


async def test_partial_payments_and_credit_notes_leave_what_is_open():
    org = await factories.organisation()
    part_paid = await final_invoice(org, 10_000, late(10))
    await paid(part_paid, 3_000, late(5))
    part_credited = await final_invoice(org, 20_000, late(40))
    await credited(part_credited, 5_000, late(20))
    await paid(part_credited, 1_000, late(15))
    await paid(await final_invoice(org, 50_000, late(70)), 50_000, late(1))  # paid in full
    fully_credited = await final_invoice(org, 60_000, late(100))
    await credited(fully_credited, 60_000, late(50))
    await paid(await final_invoice(org, 70_000, late(95)), 80_000, late(2))  # overpaid: nothing open
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert buckets(found) == [7_000, 14_000, 0, 0]
    assert [i["open_cents"] for i in found["largest"]] == [14_000, 7_000]


async def test_a_credited_invoice_refunded_is_not_overdue():
    # A refund of an invoice paid online is a negative payment, after its credit note.
    org = await factories.organisation()
    invoice = await final_invoice(org, 10_000, late(50))
    await paid(invoice, 10_000, late(55))
    await credited(invoice, 4_000, late(40))
    await paid(invoice, -4_000, late(38))
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert buckets(found) == [0, 0, 0, 0] and found["largest"] == []


async def test_payments_and_credit_notes_after_the_day_do_not_count():
    org = await factories.organisation()
    invoice = await final_invoice(org, 10_000, late(45))
    await paid(invoice, 4_000, AS_OF + dt.timedelta(days=1))
    await credited(invoice, 1_000, AS_OF + dt.timedelta(days=3))
    await paid(invoice, 500, AS_OF)  # on the day itself: counted
    await final_invoice(org, 99_000, late(10), issued_on=AS_OF + dt.timedelta(days=1))  # not issued yet
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert buckets(found) == [0, 9_500, 0, 0]
    after = await overdue.ageing(await admin_actor(), AS_OF + dt.timedelta(days=3))
    assert after["buckets"]["total"]["days_31_60_cents"] == 10_000 - 500 - 4_000 - 1_000


async def test_third_party_payers_apart_from_organisations():
    # rule BIL-4: a third party pays some invoices for the organisation
    org = await factories.organisation(name="Zorg Noord B.V.")
    await final_invoice(org, 12_000, late(20))
    await final_invoice(org, 45_000, late(65), payer="VZVZ")
    await final_invoice(org, 5_000, late(120), payer="VZVZ")
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert buckets(found, "organisation") == [12_000, 0, 0, 0]
    assert buckets(found, "third_party") == [0, 0, 45_000, 5_000]
    assert buckets(found) == [12_000, 0, 45_000, 5_000]
    assert found["buckets"]["third_party"]["total_cents"] == 50_000
    first = found["largest"][0]
    assert (first["payer_kind"], first["payer_name"], first["organisation_name"]) == (
        "third_party",
        "VZVZ",
        "Zorg Noord B.V.",
    )
    assert (first["days_late"], first["due_on"], first["dunning_state"]) == (65, late(65), "collection")


async def test_days_sales_outstanding_on_a_worked_example():
    # 9,000.00 invoiced in the 90 days up to AS_OF (10,000.00 less a 1,000.00 credit note),
    # 3,000.00 of it open: 3,000 / 9,000 x 90 = 30.0 days.
    org = await factories.organisation()
    window = AS_OF - dt.timedelta(days=89)  # the first of the 90 days
    a = await final_invoice(org, 600_000, AS_OF + dt.timedelta(days=5), issued_on=window)
    b = await final_invoice(org, 400_000, late(3), issued_on=AS_OF - dt.timedelta(days=33))
    await credited(a, 100_000, AS_OF - dt.timedelta(days=10))
    await paid(a, 400_000, AS_OF - dt.timedelta(days=1))
    await paid(b, 200_000, AS_OF)
    before = await final_invoice(org, 700_000, late(80), issued_on=window - dt.timedelta(days=1))
    await paid(before, 700_000, late(70))  # invoiced the day before the 90 days: not counted
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert (found["receivables_cents"], found["invoiced_cents"]) == (100_000 + 200_000, 900_000)
    assert found["dso_days"] == Decimal("30.0") and found["dso_first_day"] == window
    assert overdue.days_sales_outstanding(100_000, 300_000) == Decimal("30.0")
    assert overdue.days_sales_outstanding(1, 3) == Decimal("30.0")
    assert overdue.days_sales_outstanding(2, 7) == Decimal("25.7")  # 25.714...
    assert overdue.days_sales_outstanding(5, 0) is None  # nothing invoiced: no figure


async def test_the_largest_twenty_overdue_invoices_largest_first():
    org = await factories.organisation()
    for n in range(1, 23):
        await final_invoice(org, n * 1_000, late(n))
    await final_invoice(org, 999_999, late(0))  # not overdue yet
    found = await overdue.ageing(await admin_actor(), AS_OF)
    assert [i["open_cents"] for i in found["largest"]] == [n * 1_000 for n in range(22, 2, -1)]
    assert [i["days_late"] for i in found["largest"][:2]] == [22, 21]


async def test_what_is_open_agrees_with_the_invoices_balance(monkeypatch):
    # Recorded through the services: a payment and a credit note, then the ageing on a day.
    at = Clock(monkeypatch)  # 1 February 2027: January invoiced, due 3 March
    made = await invoiced()
    at.day(D(2027, 4, 20))
    admin = await admin_actor()
    invoice = made["invoice"]
    await payments.record(admin, invoice["id"], 1_234, "2027-04-10")
    await credits.credit(admin, invoice["id"], "Wrong start date", [made["lines"][0]["id"]])
    found = await overdue.ageing(admin, D(2027, 4, 20))
    scope = TenantScope(admin, made["org"]["id"])
    expected = balances.balance(
        invoice,
        await ledger.payments_of(scope, [invoice["id"]]),
        await repository.credit_notes_of(scope, [invoice["id"]]),
        D(2027, 4, 20),
    )
    assert expected.open_cents > 0
    assert buckets(found) == [0, expected.open_cents, 0, 0]  # due 3 March: 48 days late
    assert found["largest"][0]["dunning_state"] == expected.dunning_state == "collection"


async def test_only_vendor_admins_read_the_ageing():
    with pytest.raises(Forbidden):
        await overdue.ageing(Actor(person_id=5, name="Someone"), AS_OF)


async def test_the_api_answers_the_buckets_and_dso(client):
    org = await factories.organisation()
    await final_invoice(org, 12_000, late(31), issued_on=late(60))
    await final_invoice(org, 8_000, late(95), payer="VZVZ", issued_on=late(120))
    _admin, headers = await admin_headers()
    answer = await client.get(f"/api/v1/billing/overdue?as_of={AS_OF.isoformat()}", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == "2027-06-30"
    assert body["buckets"]["organisation"] == {
        "days_0_30_cents": 0,
        "days_31_60_cents": 12_000,
        "days_61_90_cents": 0,
        "days_over_90_cents": 0,
        "total_cents": 12_000,
    }
    assert body["buckets"]["third_party"]["days_over_90_cents"] == 8_000
    assert body["buckets"]["total"]["total_cents"] == 20_000
    # Only the organisation's invoice was issued in the 90 days: 20,000 / 12,000 x 90 = 150.
    assert (body["receivables_cents"], body["invoiced_cents"], body["dso_days"]) == (20_000, 12_000, 150.0)
    today = await client.get("/api/v1/billing/overdue", headers=headers)
    assert today.status_code == 200 and today.json()["as_of"] == vendor_today().isoformat()


@pytest.mark.parametrize("bad", ["2027-02-30", "30-06-2027", "yesterday", "0001-01-01", "9999-12-31", "%00"])
async def test_a_bad_as_of_answers_422_naming_it(client, bad):
    _admin, headers = await admin_headers()
    answer = await client.get("/api/v1/billing/overdue", params={"as_of": bad}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["as_of"]


async def test_a_contact_person_may_not_read_it_in_the_api(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    headers = await bearer_for(contact["person"], org["id"])
    assert (await client.get("/api/v1/billing/overdue", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/billing/overdue?as_of=bad", headers=headers)).status_code == 403


async def test_the_ageing_is_summed_in_three_queries_whatever_the_number_of_invoices(monkeypatch):
    engine = type(Invoice._meta.db)
    sent: list[int] = []
    run_querystring = engine.run_querystring

    async def counted(self, *args, **kwargs):
        sent.append(1)
        return await run_querystring(self, *args, **kwargs)

    monkeypatch.setattr(engine, "run_querystring", counted)
    admin = await admin_actor()
    org = await factories.organisation()
    counts = []
    for extra in (2, 40):
        for n in range(extra):
            await paid(await final_invoice(org, 1_000 + n, late(n % 120)), 100, late(0))
        sent.clear()
        await overdue.ageing(admin, AS_OF)
        counts.append(len(sent))
    assert counts == [3, 3]
