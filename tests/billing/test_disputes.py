"""Complaints about invoices: within 10 days of the invoice's date, day 10 included (rule BIL-9);
the due date never moves (BIL-8); a vendor admin credits or rejects, and both sides are told."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing.tables import Invoice, InvoiceDispute
from src.core.tables import AuditEntry
from tests import factories
from tests.billing.invoiced import Clock, invoiced, mails
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_headers, bearer_for
from tests.support import text_of

D = dt.date


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def fields(answer) -> set[str]:
    return {e["field"] for e in answer.json()["errors"]}


def url(made: dict) -> str:
    return f"/api/v1/organisations/{made['org']['id']}/invoices/{made['invoice']['id']}/disputes"


async def test_a_complaint_on_day_10_is_in_time_and_on_day_11_too_late(client, at):
    # rule BIL-9
    made = await invoiced()
    assert made["invoice"]["issued_on"] == D(2027, 2, 1)
    admin = await factories.vendor_admin(locale="sv")
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    at.day(D(2027, 2, 11))  # day 10 after the invoice's date
    webcert = made["lines"][0]
    answer = await client.post(
        url(made), json={"text": "Webcert was down for a week.", "line_id": webcert["id"]}, headers=own
    )
    assert answer.status_code == 201, answer.text
    dispute = answer.json()
    assert dispute["status"] == "open" and dispute["line_id"] == webcert["id"]
    assert dispute["line"] == webcert["description"] and dispute["invoice_number"] == "2027-000001"
    assert dispute["opened_by"] == made["contact"]["name"]
    # The vendor admins are told, each in their own language.
    [mail] = [m for m in await mails("dispute-opened:") if m["to"] == [admin["email"]]]
    assert mail["subject"] == "Klagomål på faktura 2027-000001"
    assert "Webcert was down for a week." in mail["body"]
    assert await AuditEntry.count().where(AuditEntry.action == "invoice.disputed") == 1

    at.day(D(2027, 2, 12))
    late = await client.post(url(made), json={"text": "Also the internet."}, headers=own)
    assert late.status_code == 409
    detail = late.json()["detail"]
    assert "within 10 days" in detail and "11 Feb 2027" in detail
    assert await InvoiceDispute.count() == 1

    # The due date never moves (BIL-8), and the invoice shows its complaint.
    got = (
        await client.get(
            f"/api/v1/organisations/{made['org']['id']}/invoices/{made['invoice']['id']}", headers=own
        )
    ).json()
    assert got["due_on"] == str(made["invoice"]["due_on"]) and got["dispute_until"] == "2027-02-11"
    assert [d["text"] for d in got["disputes"]] == ["Webcert was down for a week."]


async def test_bad_complaints_are_refused_and_another_organisation_sees_nothing(client):
    made = await invoiced()
    other = await invoiced("Andere Zorg B.V.")
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    empty = await client.post(url(made), json={"text": "  "}, headers=own)
    assert empty.status_code == 422 and fields(empty) == {"text"}
    foreign_line = await client.post(
        url(made), json={"text": "Wrong", "line_id": other["lines"][0]["id"]}, headers=own
    )
    assert foreign_line.status_code == 422 and fields(foreign_line) == {"line_id"}
    for body in ({}, {"text": 5}, {"text": "x", "line_id": "one"}, {"text": "x", "extra": 1}, "text"):
        answer = await client.post(url(made), json=body, headers=own)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)

    # Another organisation's contact person: the invoice does not exist for them.
    stranger = await bearer_for(other["contact"]["person"], other["org"]["id"])
    assert (await client.post(url(made), json={"text": "Wrong"}, headers=stranger)).status_code == 404
    sneaky = f"/api/v1/organisations/{other['org']['id']}/invoices/{made['invoice']['id']}/disputes"
    assert (await client.post(sneaky, json={"text": "Wrong"}, headers=stranger)).status_code == 404
    end_user = await factories.member(made["org"])
    user = await bearer_for(end_user["person"], made["org"]["id"])
    assert (await client.post(url(made), json={"text": "Wrong"}, headers=user)).status_code == 403
    assert await InvoiceDispute.count() == 0


async def test_a_vendor_admin_credits_the_disputed_line_and_the_contact_persons_are_told(client):
    made = await invoiced()
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    webcert = made["lines"][0]
    dispute = (
        await client.post(
            url(made), json={"text": "Webcert was down.", "line_id": webcert["id"]}, headers=own
        )
    ).json()
    _admin, headers = await admin_headers()
    listed = (await client.get("/api/v1/invoice-disputes", headers=headers)).json()
    assert [d["id"] for d in listed] == [dispute["id"]]
    assert (await client.get("/api/v1/invoice-disputes", headers=own)).status_code == 403

    resolution = f"/api/v1/invoice-disputes/{dispute['id']}/resolution"
    no_reason = await client.post(resolution, json={"outcome": "credit", "reason": ""}, headers=headers)
    assert no_reason.status_code == 422 and fields(no_reason) == {"reason"}
    assert (
        await client.post(resolution, json={"outcome": "credit", "reason": "x"}, headers=own)
    ).status_code == 403
    done = await client.post(
        resolution, json={"outcome": "credit", "reason": "Sorry, credited."}, headers=headers
    )
    assert done.status_code == 201, done.text
    resolved = done.json()
    assert resolved["status"] == "credited" and resolved["credit_note"] == "C2027-000001"
    note = await Invoice.select().where(Invoice.number == "C2027-000001").first()
    assert note["credits"] == made["invoice"]["id"] and note["reason"] == "Sorry, credited."
    assert note["net_cents"] == webcert["net_cents"]  # the disputed line only
    again = await client.post(resolution, json={"outcome": "reject", "reason": "No"}, headers=headers)
    assert again.status_code == 409
    assert (await client.get("/api/v1/invoice-disputes", headers=headers)).json() == []

    # The contact person is told in the organisation's language (Dutch), with the due date unchanged.
    [mail] = await mails("dispute-resolved:")
    assert mail["to"] == [made["contact"]["email"]]
    assert "C2027-000001" in mail["body"] and "Sorry, credited." in mail["body"]
    assert "2027-000001" in mail["subject"]
    invoice = await Invoice.select().where(Invoice.id == made["invoice"]["id"]).first()
    assert invoice["due_on"] == made["invoice"]["due_on"]
    assert await AuditEntry.count().where(AuditEntry.action == "invoice.dispute_resolved") == 1


async def test_a_rejection_is_shown_to_both_sides_on_the_pages(client):
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    page_url = f"/organisation/invoices/{made['invoice']['id']}"
    before = text_of((await client.get(page_url)).text)
    assert "up to and including 11 Feb 2027" in before
    assert "A complaint does not change the due date" in before
    empty = await client.post_form(f"{page_url}/disputes", {"text": " ", "line_id": ""})
    assert empty.status_code == 422 and "Describe what is wrong." in text_of(empty.text)
    sent = await client.post_form(
        f"{page_url}/disputes", {"text": "We never ordered internet.", "line_id": ""}, follow_redirects=True
    )
    assert "Your complaint is sent. The invoice&#39;s due date stays as it is." in text_of(sent.text)
    assert "We never ordered internet." in text_of(sent.text) and "about the whole invoice" in text_of(
        sent.text
    )

    client.cookies.clear()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert "Open complaints 1" in text_of((await client.get("/admin/billing")).text)
    listed = text_of((await client.get("/admin/billing/disputes")).text)
    assert "Factuur Zorg B.V. — Invoice 2027-000001" in listed and "We never ordered internet." in listed
    [dispute] = await InvoiceDispute.select()
    no_reason = await client.post_form(
        f"/admin/billing/disputes/{dispute['id']}/resolve", {"outcome": "reject"}
    )
    assert no_reason.status_code == 422 and "Give the reason." in text_of(no_reason.text)
    rejected = await client.post_form(
        f"/admin/billing/disputes/{dispute['id']}/resolve",
        {"outcome": "reject", "reason": "The order was signed on 3 May."},
        follow_redirects=True,
    )
    assert "The complaint about invoice 2027-000001 is rejected." in text_of(rejected.text)
    assert "No open complaints." in text_of(rejected.text)
    [mail] = await mails("dispute-resolved:")
    assert "The order was signed on 3 May." in mail["body"]

    client.cookies.clear()
    await sign_in_person(client, made["contact"]["person_row"])
    after = text_of((await client.get(page_url)).text)
    assert "We never ordered internet." in after and "Vendor Admin" in after
    assert "rejected." in after and "The order was signed on 3 May." in after
