"""Credit notes: a vendor admin credits a final invoice, whole or some lines, each line once;
credit notes are numbered in their own gapless series (rules BIL-5, BIL-6)."""

from __future__ import annotations

import asyncio
import json

import pytest

from src.billing.services import credits
from src.billing.tables import Invoice, InvoiceLine, NumberSeries
from src.core.errors import Conflict
from src.core.tables import AuditEntry
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for
from tests.support import text_of


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def fields(answer) -> set[str]:
    return {e["field"] for e in answer.json()["errors"]}


def vat21(net: int) -> int:
    return (net * 2100 + 5000) // 10000


async def test_a_line_then_the_rest_each_once_in_the_credit_note_series(client):
    made = await invoiced()
    invoice, (webcert, internet) = made["invoice"], made["lines"]
    assert invoice["number"] == "2027-000001" and invoice["status"] == "final"
    _admin, headers = await admin_headers()
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"

    first = await client.post(
        url,
        json={"reason": "Webcert was unavailable", "lines": [{"line_id": webcert["id"]}]},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert note["kind"] == "credit_note" and note["status"] == "final" and note["number"] == "C2027-000001"
    assert note["credits"] == invoice["id"] and note["credits_number"] == "2027-000001"
    assert note["reason"] == "Webcert was unavailable" and note["issued_on"] == "2027-02-01"
    [line] = note["lines"]
    assert (line["description"], line["quantity"], line["unit_price"], line["net_cents"]) == (
        webcert["description"],
        webcert["quantity"],
        webcert["unit_price"],
        webcert["net_cents"],
    )
    # Positive amounts, the money back: VAT recomputed on the credit note's own lines.
    assert note["net_cents"] == webcert["net_cents"] == 7026
    assert note["vat_cents"] == vat21(7026) == 1475 and note["total_cents"] == 8501

    again = await client.post(
        url, json={"reason": "Again", "lines": [{"line_id": webcert["id"]}]}, headers=headers
    )
    assert again.status_code == 409
    assert "credited already by credit note C2027-000001" in again.json()["detail"]

    rest = await client.post(url, json={"reason": "Contract ended early", "lines": []}, headers=headers)
    assert rest.status_code == 201, rest.text
    rest_note = rest.json()
    assert rest_note["number"] == "C2027-000002"
    assert [x["net_cents"] for x in rest_note["lines"]] == [internet["net_cents"]]
    assert rest_note["total_cents"] == internet["net_cents"] + vat21(internet["net_cents"])
    # Both credit notes together give back what the invoice asked.
    assert note["total_cents"] + rest_note["total_cents"] == invoice["total_cents"]

    nothing_left = await client.post(url, json={"reason": "Once more"}, headers=headers)
    assert (
        nothing_left.status_code == 409
        and "Every line of invoice 2027-000001" in nothing_left.json()["detail"]
    )

    series = {r["key"]: r["last_number"] for r in await NumberSeries.select()}
    assert series == {"invoice:2027": 1, "credit_note:2027": 2}  # own series, no gaps from the refusals
    assert await Invoice.count() == 3 and await InvoiceLine.count() == 4
    audited = await AuditEntry.select().where(AuditEntry.action == "invoice.credited")
    after = [json.loads(a["after"]) if isinstance(a["after"], str) else a["after"] for a in audited]
    assert [a["credit_note"] for a in after] == ["C2027-000001", "C2027-000002"]

    # The organisation sees the credit notes, and on the invoice which credit note has which line.
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    listed = (await client.get(f"/api/v1/organisations/{made['org']['id']}/invoices", headers=own)).json()
    assert [(x["number"], x["kind"], x["credits_number"]) for x in listed] == [
        ("C2027-000002", "credit_note", "2027-000001"),
        ("C2027-000001", "credit_note", "2027-000001"),
        ("2027-000001", "invoice", None),
    ]
    got = (
        await client.get(f"/api/v1/organisations/{made['org']['id']}/invoices/{invoice['id']}", headers=own)
    ).json()
    assert [c["number"] for c in got["credit_notes"]] == ["C2027-000001", "C2027-000002"]
    assert [x["credited_by"] for x in got["lines"]] == ["C2027-000001", "C2027-000002"]
    assert got["due_on"] == str(invoice["due_on"])  # the invoice itself never changes


async def test_crediting_refuses_drafts_credit_notes_foreign_lines_and_bad_input(client):
    made = await invoiced()
    other = await invoiced("Andere Zorg B.V.")
    invoice = made["invoice"]
    _admin, headers = await admin_headers()
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"

    foreign = await client.post(
        url, json={"reason": "x", "lines": [{"line_id": other["lines"][0]["id"]}]}, headers=headers
    )
    assert foreign.status_code == 422 and fields(foreign) == {"lines"}
    blank = await client.post(url, json={"reason": "   "}, headers=headers)
    assert blank.status_code == 422 and fields(blank) == {"reason"}
    for body in ({"lines": []}, {"reason": "x", "lines": [{"line_id": "one"}]}, {"reason": 5}, [1]):
        answer = await client.post(url, json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
    assert (
        await client.post("/api/v1/invoices/999999/credit-notes", json={"reason": "x"}, headers=headers)
    ).status_code == 404

    draft = await Invoice.insert(Invoice(organisation=made["org"]["id"], period="2027-02")).returning(
        Invoice.id
    )
    refused = await client.post(
        f"/api/v1/invoices/{draft[0]['id']}/credit-notes", json={"reason": "x"}, headers=headers
    )
    assert refused.status_code == 409 and "draft" in refused.json()["detail"]

    note = (await client.post(url, json={"reason": "Wrong"}, headers=headers)).json()
    of_note = await client.post(
        f"/api/v1/invoices/{note['id']}/credit-notes", json={"reason": "x"}, headers=headers
    )
    assert of_note.status_code == 409

    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    by_contact = await client.post(
        f"/api/v1/invoices/{other['invoice']['id']}/credit-notes", json={"reason": "x"}, headers=own
    )
    assert by_contact.status_code == 403
    assert await Invoice.count() == 4  # two invoices, the draft and the one credit note


async def test_a_vendor_admin_credits_chosen_lines_on_the_page_and_the_contact_person_reads_money_back(
    client,
):
    made = await invoiced()
    invoice, (webcert, _internet) = made["invoice"], made["lines"]
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    form = await client.get(f"/admin/billing/invoices/{invoice['id']}/credit")
    assert form.status_code == 200 and webcert["description"] in text_of(form.text)

    none_chosen = await client.post_form(f"/admin/billing/invoices/{invoice['id']}/credit", {"reason": "x"})
    assert none_chosen.status_code == 422 and "Choose the lines to credit." in text_of(none_chosen.text)
    no_reason = await client.post_form(
        f"/admin/billing/invoices/{invoice['id']}/credit", {"reason": "", "lines": str(webcert["id"])}
    )
    assert no_reason.status_code == 422 and "Give the reason." in text_of(no_reason.text)
    done = await client.post_form(
        f"/admin/billing/invoices/{invoice['id']}/credit",
        {"reason": "Webcert was unavailable", "lines": str(webcert["id"])},
        follow_redirects=True,
    )
    assert "Credit note C2027-000001 is made." in text_of(done.text)
    assert "credited by C2027-000001" in text_of(done.text)

    client.cookies.clear()
    await sign_in_person(client, made["contact"]["person_row"])
    listed = text_of((await client.get("/organisation/invoices")).text)
    assert "C2027-000001" in listed and "−€85.01" in listed and "on invoice 2027-000001" in listed
    note = await Invoice.select().where(Invoice.number == "C2027-000001").first()
    page = text_of((await client.get(f"/organisation/invoices/{note['id']}")).text)
    assert "money back to you" in page and "Total credited to you −€85.01" in page
    assert "Reason: Webcert was unavailable" in page
    on_invoice = text_of((await client.get(f"/organisation/invoices/{invoice['id']}")).text)
    assert "Credit notes on this invoice" in on_invoice and "credited by C2027-000001" in on_invoice


async def test_two_admins_crediting_a_line_at_once_make_one_credit_note_and_no_gap():
    made = await invoiced()
    admin = await admin_actor()
    line = made["lines"][0]["id"]
    answers = await asyncio.gather(
        credits.credit(admin, made["invoice"]["id"], "First", [line]),
        credits.credit(admin, made["invoice"]["id"], "Second", [line]),
        return_exceptions=True,
    )
    made_notes = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if isinstance(a, Conflict)]
    assert len(made_notes) == 1 and len(refused) == 1, answers
    assert made_notes[0]["number"] == "C2027-000001"
    later = await credits.credit(admin, made["invoice"]["id"], "The rest", None)
    assert later["number"] == "C2027-000002"  # the refused one gave its number back
