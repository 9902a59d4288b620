"""The vendor admins' invoices: the list of every invoice and credit note (search, filters, pages,
lenient about its query string) and one invoice in full, with finalising a draft."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from src.billing.services import credits, documents
from src.billing.tables import Invoice
from src.core.tables import AuditEntry
from src.settings import get_settings, override_settings
from src.subscriptions.repository import insert_charge
from tests import factories
from tests.billing.documents_support import empty_broker, work
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, bearer_for
from tests.support import text_of

LIST = "/admin/billing/invoices"


@pytest.fixture(autouse=True)
def at(monkeypatch: pytest.MonkeyPatch) -> Clock:
    empty_broker()
    return Clock(monkeypatch)


def listed(html: str) -> list[str]:
    """The numbers (or "(draft)") of the rows of the list, top to bottom."""
    return re.findall(r'<a href="/admin/billing/invoices/\d+">([^<]+)</a>', html)


async def signed_in_admin(client) -> None:
    await sign_in_person(client, await factories.vendor_admin(), provider="staff")


async def three_payers() -> dict:
    """January 2027: Zorg Noord's invoice and a credit note on it, Zorg Zuid's invoice, and an
    invoice to a third party paying Zorg West's certificate fee (rule BIL-4)."""
    north = await invoiced("Zorg Noord B.V.")
    west = await factories.organisation(name="Zorg West B.V.")
    await insert_charge(
        west["id"],
        source_type="certificate",
        source_id=7,
        description="Server certificate",
        amount_cents=45000,
        chargeable_on=dt.date(2027, 1, 20),
        payer_kind="third_party",
        payer_name="VZVZ",
    )
    south = await invoiced("Zorg Zuid B.V.")
    note = await credits.credit(
        await admin_actor(), north["invoice"]["id"], "Wrong start date", [north["lines"][0]["id"]]
    )
    third = await Invoice.select().where(Invoice.organisation == west["id"]).first()
    return {"north": north, "south": south, "note": note, "third": third}


async def test_the_list_shows_every_invoice_and_credit_note_newest_first_and_finds_them(client):
    made = await three_payers()
    await signed_in_admin(client)
    assert f'href="{LIST}"' in (await client.get("/admin/billing")).text
    page = await client.get(LIST)
    assert page.status_code == 200
    # The credit note is the newest; the third party's invoice was made in Zorg Zuid's run.
    assert listed(page.text) == ["C2027-000001", "2027-000003", "2027-000002", "2027-000001"]
    text = text_of(page.text)
    assert "4 invoices and credit notes" in text and "VZVZ" in text and "Zorg West B.V." in text
    assert "Credited" in text  # Zorg Noord's invoice

    async def found(**params: str) -> list[str]:
        answer = await client.get(LIST, params=params)
        assert answer.status_code == 200
        return listed(answer.text)

    assert await found(q="c2027") == ["C2027-000001"]  # a number, whatever the case
    assert await found(q="zuid") == [made["south"]["invoice"]["number"]]  # the customer
    assert await found(q="West B.V.") == [made["third"]["number"]]  # the organisation paid for
    assert await found(q="nobody") == []
    nothing = await client.get(LIST, params={"q": "x%"})
    assert "No invoice or credit note matches this search." in text_of(nothing.text)


async def test_each_filter_narrows_the_list_in_the_database(client):
    made = await three_payers()
    override_settings(dataclasses.replace(get_settings(), invoice_review_days=3))
    draft = await invoiced("Zorg Oost B.V.")  # left as a draft for review
    await signed_in_admin(client)

    async def found(**params: str) -> list[str]:
        answer = await client.get(LIST, params=params)
        assert answer.status_code == 200 and "not one of the choices" not in answer.text
        return listed(answer.text)

    assert await found(status="draft") == ["(draft)"]
    assert await found(status="final") == ["C2027-000001", "2027-000003", "2027-000002", "2027-000001"]
    assert await found(status="credited") == [made["north"]["invoice"]["number"]]
    assert await found(kind="credit_note") == ["C2027-000001"]
    assert await found(kind="invoice", status="final") == ["2027-000003", "2027-000002", "2027-000001"]
    assert await found(payer="third_party") == [made["third"]["number"]]
    assert "(draft)" in await found(payer="organisation")
    assert len(await found(period="2027-01")) == 5
    assert await found(period="2026-12") == []
    assert await found(q="oost", status="draft") == ["(draft)"]
    assert draft["invoice"]["status"] == "draft"
    # The form keeps what was chosen.
    page = await client.get(LIST, params={"status": "credited", "kind": "invoice", "period": "2027-01"})
    assert '<option value="credited" selected>' in page.text
    assert '<option value="invoice" selected>' in page.text
    assert 'value="2027-01"' in page.text


async def many_invoices(count: int) -> None:
    org = await factories.organisation(name="Veel Zorg B.V.")
    await Invoice.insert(
        *[
            Invoice(
                organisation=org["id"],
                status="final",
                number=f"2026-{n:06d}",
                period="2026-12",
                customer_name="Veel Zorg B.V.",
                net_cents=100 * n,
                total_cents=121 * n,
            )
            for n in range(1, count + 1)
        ]
    )


async def test_the_list_has_pages_of_50_with_page_links(client):
    await many_invoices(120)
    await signed_in_admin(client)
    first = await client.get(LIST)
    rows = listed(first.text)
    assert len(rows) == 50 and rows[0] == "2026-000120" and rows[-1] == "2026-000071"
    assert "Page 1 of 3" in text_of(first.text)
    assert f'href="{LIST}?page=2"' in first.text and f'href="{LIST}?page=3"' in first.text
    second = await client.get(LIST, params={"page": "2"})
    assert listed(second.text)[0] == "2026-000070" and "Page 2 of 3" in text_of(second.text)
    last = await client.get(LIST, params={"page": "3", "q": "Veel"})
    assert len(listed(last.text)) == 20 and f'href="{LIST}?q=Veel&amp;page=2"' in last.text
    # An htmx request gets the results alone.
    partial = await client.get(LIST, params={"page": "2"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and len(listed(partial.text)) == 50


async def test_bad_query_parameters_never_fail_the_list(client):
    await many_invoices(60)
    await signed_in_admin(client)
    for page_number, shown in (("abc", 1), ("-1", 1), ("0", 1), ("1.5", 1), ("99999999999999999999", 2)):
        answer = await client.get(LIST, params={"page": page_number})
        assert answer.status_code == 200, page_number
        assert f"Page {shown} of 2" in text_of(answer.text), page_number
    bad = await client.get(LIST, params={"status": "paid", "kind": "bill", "payer": "x", "period": "2027-13"})
    assert bad.status_code == 200
    text = text_of(bad.text)
    assert "“paid” is not one of the choices: every one is shown." in text
    assert "“bill” is not one of the choices" in text and "“x” is not one of the choices" in text
    assert "Give the month as YYYY-MM, e.g. 2027-01: every month is shown." in text
    assert 'value="2027-13"' in bad.text and len(listed(bad.text)) == 50  # kept in the form, not applied
    for params in (
        {"period": "januari"},
        {"q": "x" * 5000},
        {"q": "%_\\'\""},
        {"status": ["draft", "final"]},
        {"page": ["1", "2"]},
        {"period": "２０２７-０１"},
    ):
        answer = await client.get(LIST, params=params)
        assert answer.status_code == 200, (params, answer.status_code)


async def test_the_detail_shows_lines_vat_totals_credit_notes_and_complaints(client):
    made = await three_payers()
    north = made["north"]
    contact = await bearer_for(north["contact"]["person"], north["org"]["id"])
    complaint = await client.post(
        f"/api/v1/organisations/{north['org']['id']}/invoices/{north['invoice']['id']}/disputes",
        json={"text": "The internet was slow."},
        headers=contact,
    )
    assert complaint.status_code == 201
    await signed_in_admin(client)
    page = await client.get(f"{LIST}/{north['invoice']['id']}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Invoice 2027-000001" in text and "Zorg Noord B.V." in text and "2027-01" in text
    assert "1 Feb 2027" in text and "3 Mar 2027" in text  # issued and due
    for line in north["lines"]:
        assert line["description"] in text
    assert "Total excluding VAT" in text and "VAT 21 %" in text
    assert "credited by C2027-000001" in text
    assert f'href="{LIST}/{made["note"]["id"]}"' in page.text  # its credit note
    assert "The internet was slow." in text and "Open" in text  # the complaint and its state
    assert f'href="{LIST}/{north["invoice"]["id"]}/credit"' in page.text
    assert "Finalise" not in text
    assert "Being prepared" in text  # no worker has stored the documents yet

    note = text_of((await client.get(f"{LIST}/{made['note']['id']}")).text)
    assert "Credit note C2027-000001" in note and "Wrong start date" in note
    assert "See invoice 2027-000001" in note


async def test_an_admin_downloads_the_stored_documents(client):
    made = await invoiced()
    await work(documents.RENDER_ACTOR)
    await signed_in_admin(client)
    invoice_id = made["invoice"]["id"]
    page = await client.get(f"{LIST}/{invoice_id}")
    assert f'href="{LIST}/{invoice_id}/documents/pdf"' in page.text
    pdf = await client.get(f"{LIST}/{invoice_id}/documents/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ubl = await client.get(f"{LIST}/{invoice_id}/documents/ubl")
    assert ubl.status_code == 200 and b"2027-000001" in ubl.content
    assert (await client.get(f"{LIST}/{invoice_id}/documents/doc")).status_code == 404


async def test_a_draft_is_finalised_from_its_page_once_and_audited(client):
    override_settings(dataclasses.replace(get_settings(), invoice_review_days=3))
    made = await invoiced()
    draft_id = made["invoice"]["id"]
    await signed_in_admin(client)
    page = await client.get(f"{LIST}/{draft_id}")
    text = text_of(page.text)
    assert "Invoice (draft)" in text and "A draft has no documents yet" in text
    assert f"{LIST}/{draft_id}/documents/pdf" not in page.text and "Credit lines" not in text
    early = await client.get(f"{LIST}/{draft_id}/documents/pdf", follow_redirects=True)
    assert "A draft has no documents yet" in text_of(early.text)
    done = await client.post_form(f"{LIST}/{draft_id}/finalise", {}, follow_redirects=True)
    assert "Invoice 2027-000001 is finalised." in text_of(done.text)
    assert (await Invoice.select(Invoice.status).where(Invoice.id == draft_id).first())["status"] == "final"
    again = await client.post_form(f"{LIST}/{draft_id}/finalise", {}, follow_redirects=True)
    assert "This invoice was final already: 2027-000001." in text_of(again.text)
    audits = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "billing.invoice_finalised")
    assert [json.loads(a["after"]) if isinstance(a["after"], str) else a["after"] for a in audits] == [
        {"status": "final", "number": "2027-000001"}
    ]


async def test_an_unknown_invoice_is_not_found(client):
    await signed_in_admin(client)
    for path in (f"{LIST}/999999", f"{LIST}/999999/documents/pdf"):
        answer = await client.get(path)
        assert answer.status_code == 404 and "<html" in answer.text
    assert (await client.post_form(f"{LIST}/999999/finalise", {})).status_code == 404


async def test_a_contact_person_is_refused(client):
    override_settings(dataclasses.replace(get_settings(), invoice_review_days=3))
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    invoice_id = made["invoice"]["id"]
    for path in (LIST, f"{LIST}/{invoice_id}", f"{LIST}/{invoice_id}/documents/pdf"):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.post_form(f"{LIST}/{invoice_id}/finalise", {})).status_code == 403
    assert (await Invoice.select(Invoice.status).where(Invoice.id == invoice_id).first())["status"] == "draft"
