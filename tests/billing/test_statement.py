"""The statement of account (rules BIL-4, BIL-6, BIL-7): as of today or a day to come, the open
invoices with late-payment interest to that day and collection costs once in collection, the
payments, and the total due; a third party's invoices are not on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from src.billing.services import dunning_schedule, interest, payments
from src.billing.tables import Invoice
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for

D = dt.date
DUE = D(2027, 3, 3)


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)  # 1 February 2027: January's invoice, due 3 March 2027


async def statement(client: Any, made: dict[str, Any], as_of: str = "", headers: Any = None) -> Any:
    headers = headers or await bearer_for(made["contact"]["person"], made["org"]["id"])
    query = f"?as_of={as_of}" if as_of else ""
    return await client.get(f"/api/v1/organisations/{made['org']['id']}/statement{query}", headers=headers)


async def test_as_of_today_the_open_invoice_without_interest(client):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    answer = await statement(client, made)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == "2027-02-01" and body["payments"] == []
    [item] = body["items"]
    assert item["invoice_id"] == made["invoice"]["id"] and item["number"] == "2027-000001"
    assert item["due_on"] == "2027-03-03" and item["open_cents"] == total
    assert (item["interest_cents"], item["collection_costs_cents"], item["dunning_state"]) == (0, 0, "none")
    assert body["total_due_cents"] == total


async def test_a_day_to_come_adds_interest_of_2_5_percent_a_month_from_the_due_date(client):
    # rule BIL-7: 2.5 % a month, pro rata per day, from the due date
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    month_later = (await statement(client, made, "2027-04-03")).json()
    [item] = month_later["items"]
    assert item["interest_cents"] == interest.interest_cents(total, DUE, D(2027, 4, 3))
    assert item["interest_cents"] == round(total * 0.025)
    assert item["dunning_state"] == "final_notice" and item["status"] == "overdue"  # 31 days late
    assert item["collection_costs_cents"] == 0
    assert month_later["total_due_cents"] == total + item["interest_cents"]
    on_due_date = (await statement(client, made, "2027-03-03")).json()
    assert on_due_date["items"][0]["interest_cents"] == 0


async def test_collection_costs_from_day_42_after_the_due_date(client):
    # rule BIL-7: collection costs of 15 %, at least EUR 750, once the claim is in collection
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    day_41 = (await statement(client, made, (DUE + dt.timedelta(days=41)).isoformat())).json()
    assert day_41["items"][0]["collection_costs_cents"] == 0
    assert day_41["items"][0]["dunning_state"] == "final_notice"
    day_42 = (await statement(client, made, (DUE + dt.timedelta(days=42)).isoformat())).json()
    [item] = day_42["items"]
    assert item["dunning_state"] == "collection" and item["status"] == "in_collection"
    assert item["collection_costs_cents"] == dunning_schedule.collection_costs_cents(total) == 75_000
    assert day_42["total_due_cents"] == total + item["interest_cents"] + 75_000


async def test_a_part_paid_late_stops_the_interest_on_that_part(client, at):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    at.day(D(2027, 3, 13))  # ten days late
    await payments.record(await admin_actor(), made["invoice"]["id"], 4000, "2027-03-13", "part")
    body = (await statement(client, made, "2027-04-03")).json()
    [item] = body["items"]
    assert item["open_cents"] == total - 4000
    # The whole amount for 10 days of March's month (31 days), the rest for the other 21.
    expected = (total * 10 / 31 + (total - 4000) * 21 / 31) * 0.025
    assert item["interest_cents"] == round(expected)
    assert [(p["amount_cents"], p["paid_on"], p["reference"]) for p in body["payments"]] == [
        (4000, "2027-03-13", "part")
    ]
    # A statement of a day before the payment says what was owed then.
    earlier = (await statement(client, made, "2027-03-12")).json()
    assert earlier["items"][0]["open_cents"] == total and earlier["payments"] == []


async def test_paid_invoices_leave_the_statement_and_an_overpayment_is_a_credit_balance(client):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    await payments.record(await admin_actor(), made["invoice"]["id"], total + 500, "2027-02-01")
    body = (await statement(client, made, "2027-06-01")).json()
    assert body["items"] == [] and body["credit_balance_cents"] == 500 and body["total_due_cents"] == 0
    assert [p["amount_cents"] for p in body["payments"]] == [total + 500]


async def test_a_third_partys_invoices_are_not_on_the_organisations_statement(client):
    # rule BIL-4: the third party settles them
    made = await invoiced()
    await Invoice.insert(
        Invoice(
            organisation=made["org"]["id"],
            kind="invoice",
            status="final",
            number="2027-000777",
            period="2027-01",
            payer_kind="third_party",
            payer_name="VZVZ",
            total_cents=54450,
            issued_on=D(2027, 2, 1),
            due_on=DUE,
        )
    )
    body = (await statement(client, made, "2027-05-01")).json()
    assert [i["number"] for i in body["items"]] == ["2027-000001"]


async def test_contact_persons_and_vendor_admins_read_it_others_do_not(client):
    made = await invoiced()
    _admin, admin = await admin_headers()
    assert (await statement(client, made, headers=admin)).status_code == 200
    end_user = await factories.member(made["org"])
    assert (
        await statement(client, made, headers=await bearer_for(end_user["person"], made["org"]["id"]))
    ).status_code == 403
    other = await invoiced("Andere Zorg B.V.")
    strange = await bearer_for(other["contact"]["person"], other["org"]["id"])
    refused = await statement(client, made, headers=strange)
    assert refused.status_code == 404 and "2027-000001" not in refused.text
    bad = await statement(client, made, "2027-02-30")
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["as_of"]
