"""Payments of invoices (rules BIL-6, BIL-7, BIL-8): a vendor admin records what was received;
what is open is the total less payments and credit notes, never below 0; the invoice's status
follows, as the customer sees it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from src.billing.services import credits, payments, reference
from src.billing.tables import Invoice, Payment
from src.core.tables import AuditEntry
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for

D = dt.date


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)  # 1 February 2027: January's invoice, due 3 March 2027


def fields(answer: Any) -> set[str]:
    return {e["field"] for e in answer.json()["errors"]}


async def pay(client: Any, headers: dict[str, str], invoice_id: int, amount: Any, **body: Any) -> Any:
    return await client.post(
        f"/api/v1/invoices/{invoice_id}/payments",
        json={"amount_cents": amount, "paid_on": "2027-02-01", **body},
        headers=headers,
    )


async def shown(client: Any, made: dict[str, Any]) -> dict[str, Any]:
    """The invoice as its contact person reads it in the API (list and detail agree)."""
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    base = f"/api/v1/organisations/{made['org']['id']}/invoices"
    one = (await client.get(f"{base}/{made['invoice']['id']}", headers=own)).json()
    [listed] = [x for x in (await client.get(base, headers=own)).json() if x["id"] == made["invoice"]["id"]]
    assert (listed["status"], listed["open_cents"]) == (one["status"], one["open_cents"])
    return one


async def test_a_part_then_the_rest_makes_the_invoice_paid(client, at):
    made = await invoiced()
    invoice = made["invoice"]
    total = invoice["total_cents"]
    _admin, headers = await admin_headers()

    before = await shown(client, made)
    assert before["status"] == "open" and before["open_cents"] == total
    assert before["payment_reference"] == reference.creditor_reference("2027-000001")

    part = await pay(client, headers, invoice["id"], 5000, reference="RF89 2027 0000 01")
    assert part.status_code == 201, part.text
    body = part.json()
    assert body["payment"]["amount_cents"] == 5000 and body["payment"]["paid_on"] == "2027-02-01"
    assert body["payment"]["reference"] == "RF89 2027 0000 01" and body["payment"]["method"] == "manual"
    assert (
        body["payment"]["payer_kind"] == "organisation" and body["payment"]["invoice_number"] == "2027-000001"
    )
    assert body["invoice"]["status"] == "open" and body["invoice"]["open_cents"] == total - 5000
    assert (await shown(client, made))["open_cents"] == total - 5000

    rest = await pay(client, headers, invoice["id"], total - 5000)
    assert rest.status_code == 201
    assert rest.json()["invoice"]["status"] == "paid" and rest.json()["invoice"]["open_cents"] == 0
    after = await shown(client, made)
    assert after["status"] == "paid" and after["open_cents"] == 0 and after["credit_balance_cents"] == 0
    # A paid invoice does not become overdue after its due date.
    at.day(D(2027, 5, 1))
    assert (await shown(client, made))["status"] == "paid"


async def test_an_overpayment_is_kept_as_a_credit_balance(client):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    _admin, headers = await admin_headers()
    answer = await pay(client, headers, made["invoice"]["id"], total + 1234)
    assert answer.status_code == 201
    assert answer.json()["invoice"] == {
        **answer.json()["invoice"],
        "status": "paid",
        "open_cents": 0,
        "credit_balance_cents": 1234,
    }
    assert (await shown(client, made))["credit_balance_cents"] == 1234


async def test_overdue_the_day_after_the_due_date_and_in_collection_from_day_42(client, at):
    # rule BIL-7: in default without notice; rule BIL-8: a complaint changes nothing of it
    made = await invoiced()
    at.day(D(2027, 3, 3))
    assert (await shown(client, made))["status"] == "open"
    at.day(D(2027, 3, 4))
    overdue = await shown(client, made)
    assert overdue["status"] == "overdue" and overdue["dunning_state"] == "reminder_1"
    at.day(D(2027, 4, 13))  # 41 days late
    assert (await shown(client, made))["status"] == "overdue"
    at.day(D(2027, 4, 14))  # 42 days late
    collected = await shown(client, made)
    assert collected["status"] == "in_collection" and collected["dunning_state"] == "collection"


async def test_a_credit_note_for_the_whole_invoice_makes_it_credited_and_a_payment_before_a_credit(client):
    made = await invoiced()
    invoice = made["invoice"]
    _admin, headers = await admin_headers()
    await pay(client, headers, invoice["id"], 3000)
    await credits.credit(await admin_actor(), invoice["id"], "Service not delivered")
    after = await shown(client, made)
    # What was paid is now the customer's: a credit balance.
    assert (
        after["status"] == "credited" and after["open_cents"] == 0 and after["credit_balance_cents"] == 3000
    )


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client):
    made = await invoiced()
    invoice_id = made["invoice"]["id"]
    _admin, headers = await admin_headers()
    for amount, field in ((0, "amount_cents"), (-100, "amount_cents"), (10**15, "amount_cents")):
        answer = await pay(client, headers, invoice_id, amount)
        assert answer.status_code == 422 and fields(answer) == {field}, answer.text
    for paid_on in ("2027-02-02", "2027-13-01", "yesterday", ""):
        answer = await pay(client, headers, invoice_id, 100, paid_on=paid_on)
        assert answer.status_code == 422 and fields(answer) == {"paid_on"}, (paid_on, answer.text)
    long = await pay(client, headers, invoice_id, 100, reference="x" * 141)
    assert long.status_code == 422 and fields(long) == {"reference"}
    for body in ({"amount_cents": "a hundred", "paid_on": "2027-02-01"}, {"paid_on": "2027-02-01"}, [1]):
        answer = await client.post(f"/api/v1/invoices/{invoice_id}/payments", json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
    missing = await pay(client, headers, 999999, 100)
    assert missing.status_code == 404

    draft = await Invoice.insert(
        Invoice(organisation=made["org"]["id"], period="2027-02", total_cents=100)
    ).returning(Invoice.id)
    refused = await pay(client, headers, draft[0]["id"], 100)
    assert refused.status_code == 422 and fields(refused) == {"invoice_id"}
    note = await credits.credit(await admin_actor(), invoice_id, "Wrong")
    of_note = await pay(client, headers, note["id"], 100)
    assert of_note.status_code == 422 and fields(of_note) == {"invoice_id"}

    # Only vendor admins record payments; another organisation's people do not even find it.
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    assert (await pay(client, own, invoice_id, 100)).status_code == 403
    stranger_org = await factories.organisation(name="Vreemd B.V.")
    stranger = await factories.member(stranger_org, role="contact_person")
    assert (
        await pay(client, await bearer_for(stranger["person"], stranger_org["id"]), invoice_id, 100)
    ).status_code in (
        403,
        404,
    )

    assert await Payment.count() == 0
    assert await AuditEntry.count().where(AuditEntry.action == "billing.payment_recorded") == 0


async def test_a_payment_is_audited_with_what_it_left_open(client):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    admin, headers = await admin_headers()
    await pay(client, headers, made["invoice"]["id"], 2500, reference="bank 17")
    [entry] = await AuditEntry.select().where(AuditEntry.action == "billing.payment_recorded")
    after = json.loads(entry["after"]) if isinstance(entry["after"], str) else entry["after"]
    before = json.loads(entry["before"]) if isinstance(entry["before"], str) else entry["before"]
    assert entry["organisation_id"] == made["org"]["id"] and entry["actor_person_id"] == admin["id"]
    assert entry["object_type"] == "invoice" and entry["object_id"] == str(made["invoice"]["id"])
    assert before == {"status": "open", "open_cents": total}
    assert (
        after["amount_cents"] == 2500 and after["paid_on"] == "2027-02-01" and after["reference"] == "bank 17"
    )
    assert after["open_cents"] == total - 2500 and after["invoice"] == "2027-000001"


async def test_the_same_external_payment_is_recorded_once():
    made = await invoiced()
    admin = await admin_actor()
    first = await payments.record(
        admin, made["invoice"]["id"], 100, "2027-02-01", "x", method="bank_transfer", external_id="line-1"
    )
    assert first["payment"]["external_id"] == "line-1"
    with pytest.raises(Exception) as again:
        await payments.record(
            admin, made["invoice"]["id"], 100, "2027-02-01", "x", method="bank_transfer", external_id="line-1"
        )
    assert getattr(again.value, "status_code", None) == 409
    assert await Payment.count() == 1
