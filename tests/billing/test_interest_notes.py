"""Interest notes (rule BIL-7): late-payment interest and collection costs invoiced on a document
of their own, numbered in their own series, made once by the collection step or by a vendor admin,
never changing the invoice, and counted once on the statement."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from src.billing.services import documents, interest_notes, payments, pdf, reminders, statement
from src.billing.tables import Invoice, InvoiceLine
from src.core.errors import Conflict
from src.core.i18n import current_locale
from src.core.pdf import _environment
from src.core.tables import AuditEntry, CaughtAttachment, CaughtMail
from src.settings import get_settings, override_settings
from src.tenants.tables import Organisation
from tests.billing import einvoice_samples
from tests.billing.documents_support import empty_broker, work
from tests.billing.invoiced import Clock, invoiced
from tests.billing.test_admin_invoices import signed_in_admin
from tests.billing.test_ubl import schema_errors
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, bearer_for
from tests.support import text_of

D = dt.date


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    empty_broker()
    return Clock(monkeypatch)


def example_invoice(**changes: Any) -> dict[str, Any]:
    row = {
        "id": 7,
        "kind": "invoice",
        "status": "final",
        "number": "2027-000007",
        "total_cents": 54_450,
        "currency": "EUR",
        "issued_on": D(2027, 2, 1),
        "due_on": D(2027, 3, 3),
        "dunning_state": "none",
    }
    row.update(changes)
    return row


def english_lines(*args: Any) -> list[dict[str, Any]]:
    token = current_locale.set("en")
    try:
        return interest_notes.note_lines(*args)
    finally:
        current_locale.reset(token)


def test_worked_example_interest_per_day_rounded_once_and_the_collection_minimum():
    # rule BIL-7. EUR 544.50 due on 3 March 2027, the note made on 14 April (day 42: collection).
    # 3 March -> 3 April is one month; 3 -> 14 April is 11 of that month's 30 days:
    # 54450 x 2.5 % x (1 + 11/30) = 1860.375 cents -> EUR 18.60 (half up, once).
    # Collection costs: 15 % of EUR 544.50 is EUR 81.68, less than the minimum: EUR 750.
    invoice = example_invoice()
    lines = english_lines(invoice, [], [], [], D(2027, 4, 14), True)
    assert [(x["source_type"], x["net_cents"], x["vat_category"]) for x in lines] == [
        ("interest", 1860, "O"),
        ("collection_costs", 75_000, "O"),
    ]
    assert lines[0]["description"] == "Interest at 2.5 % a month from 3 Mar 2027 to 14 Apr 2027 on €544.50"
    assert lines[1]["description"] == "Collection costs (15 %, at least EUR 750) on €544.50"
    assert (lines[0]["first_day"], lines[0]["last_day"]) == (D(2027, 3, 4), D(2027, 4, 14))

    # A later note runs from the end of the one before: 14 April -> 14 May, no costs again.
    earlier = [{"interest_to": D(2027, 4, 14), "with_costs": True}]
    later = english_lines(invoice, [], [], earlier, D(2027, 5, 14), True)
    months = Decimal(2) + Decimal(11) / 31 - (Decimal(1) + Decimal(11) / 30)
    expected = int((Decimal(54_450) * Decimal("0.025") * months).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert [(x["source_type"], x["net_cents"]) for x in later] == [("interest", expected)]
    assert later[0]["description"].startswith("Interest at 2.5 % a month from 14 Apr 2027 to 14 May 2027")
    # Together the two notes charge what one note over the whole time would (to the cent).
    assert abs(1860 + expected - interest_notes.interest_between(invoice, [], [], None, D(2027, 5, 14))) <= 1

    # 15 % above the minimum: EUR 10,000.00 open -> EUR 1,500.00.
    big = english_lines(example_invoice(total_cents=1_000_000), [], [], [], D(2027, 4, 14), True)
    assert big[1]["net_cents"] == 150_000


def test_part_paid_late_counts_what_was_open_each_day():
    invoice = example_invoice()
    paid = [{"paid_on": D(2027, 4, 3), "amount_cents": 27_225}]  # half, one month late
    lines = english_lines(invoice, paid, [], [], D(2027, 5, 3), False)
    # one month on 544.50 and one on 272.25: 1361.25 + 680.625 = 2041.875 -> 2042, rounded once
    assert [(x["source_type"], x["net_cents"]) for x in lines] == [("interest", 2042)]
    assert lines[0]["description"].endswith("on the amount open day by day")
    assert english_lines(invoice, [], [], [], D(2027, 3, 3), False) == []  # due today: nothing


async def overdue() -> dict[str, Any]:
    made = await invoiced()
    await Organisation.update({Organisation.billing_email: "crediteuren@factuurzorg.example"}).where(
        Organisation.id == made["org"]["id"]
    )
    made["invoice"] = await Invoice.select().where(Invoice.id == made["invoice"]["id"]).first()
    return made


async def notes_of(invoice_id: int) -> list[dict[str, Any]]:
    return await Invoice.select().where(Invoice.interest_of == invoice_id).order_by(Invoice.id)


async def test_the_collection_step_makes_one_note_and_never_changes_the_invoice(clock):
    made = await overdue()
    invoice = made["invoice"]
    lines_before = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    day = invoice["due_on"] + dt.timedelta(days=42)
    clock.day(day)
    assert await reminders.send_due() == 4  # every step, the last one collection
    assert await reminders.send_due() == 0  # the job again the same day
    clock.day(day + dt.timedelta(days=1))
    assert await reminders.send_due() == 0  # and the next day

    [note] = await notes_of(invoice["id"])
    assert note["kind"] == "interest_note" and note["status"] == "final"
    assert note["number"] == "R2027-000001"
    assert (note["issued_on"], note["interest_from"], note["interest_to"]) == (day, invoice["due_on"], day)
    assert note["due_on"] == day + dt.timedelta(days=30) and note["payment_reference"].startswith("RF")
    assert note["payment_reference"].endswith("R2027000001")
    interest = interest_notes.interest_between(invoice, [], [], None, day)
    costs = max(75_000, round(invoice["total_cents"] * 0.15))
    assert interest > 0 and (note["net_cents"], note["vat_cents"]) == (interest + costs, 0)
    assert note["total_cents"] == interest + costs
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == note["id"]).order_by(InvoiceLine.position)
    assert [x["description"].split(" ")[0] for x in lines] == ["Rente", "Incassokosten"]  # Dutch customer
    assert {x["vat_category"] for x in lines} == {"O"}

    after = await Invoice.select().where(Invoice.id == invoice["id"]).first()
    assert {k: after[k] for k in ("total_cents", "net_cents", "due_on", "number")} == {
        k: invoice[k] for k in ("total_cents", "net_cents", "due_on", "number")
    }
    assert await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]) == lines_before
    [audited] = await AuditEntry.select().where(AuditEntry.action == "billing.interest_note_made")
    assert audited["object_id"] == str(invoice["id"]) or int(audited["object_id"]) == invoice["id"]

    # Rendered and mailed through the invoices' path, once however often the workers run.
    await work(documents.RENDER_ACTOR, times=2)
    await work(documents.MAIL_ACTOR, times=2)
    sent = [m for m in await CaughtMail.select() if "R2027-000001" in m["subject"]]
    assert len(sent) == 1 and sent[0]["subject"].startswith("Rentenota R2027-000001")
    assert invoice["number"] in sent[0]["body"]
    names = sorted(a["filename"] for a in await CaughtAttachment.select() if "R2027" in a["filename"])
    assert names == ["interest-note-R2027-000001.pdf", "interest-note-R2027-000001.xml"]


async def test_the_note_documents_say_what_it_is_in_the_invoices_language(client, clock):
    before = get_settings()
    override_settings(einvoice_samples.vendor_settings(before))  # a vendor with all its details
    try:
        await the_note_documents(client, clock)
    finally:
        override_settings(before)


async def the_note_documents(client: Any, clock: Clock) -> None:
    made = await overdue()
    invoice = made["invoice"]
    clock.day(invoice["due_on"] + dt.timedelta(days=42))
    await reminders.send_due()
    [note] = await notes_of(invoice["id"])
    await work(documents.RENDER_ACTOR)

    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    base = f"/api/v1/organisations/{made['org']['id']}/invoices/{note['id']}"
    ubl = await client.get(f"{base}/ubl", headers=own)
    assert ubl.status_code == 200 and schema_errors(ubl.content) == []
    xml = ubl.text
    assert "<cbc:ID>R2027-000001</cbc:ID>" in xml
    assert f"<cbc:ID>{invoice['number']}</cbc:ID>" in xml.split("<cac:BillingReference>")[1]
    assert "<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>" in xml
    assert "<cbc:Percent>" not in xml and "PartyTaxScheme" not in xml  # BR-O-02, BR-O-05
    assert f"<cbc:PaymentID>{note['payment_reference']}</cbc:PaymentID>" in xml
    downloaded = await client.get(f"{base}/pdf", headers=own)
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"%PDF")
    listed = await client.get(f"/api/v1/organisations/{made['org']['id']}/invoices", headers=own)
    assert "R2027-000001" in listed.text

    lines = await InvoiceLine.select().where(InvoiceLine.invoice == note["id"])
    row = {**note, "interest_of_number": invoice["number"], "interest_of_issued_on": invoice["issued_on"]}
    for language, texts in (
        ("nl", ["Rentenota", "niet onderworpen aan btw", invoice["number"]]),
        ("sv", ["Räntefaktura", "inte föremål för moms", invoice["number"]]),
        ("en", ["Interest note", "not subject to VAT", invoice["number"]]),
    ):
        token = current_locale.set(language)
        try:
            html = (
                _environment().get_template(pdf.TEMPLATE).render(locale=language, **pdf.context(row, lines))
            )
        finally:
            current_locale.reset(token)
        for expected in texts:
            assert expected in text_of(html), (language, expected)


async def test_a_vendor_admin_makes_a_note_by_hand_and_is_told_when_there_is_none_to_make(clock):
    made = await overdue()
    invoice = made["invoice"]
    admin = await admin_actor()
    clock.day(invoice["due_on"])
    with pytest.raises(Conflict, match="is overdue"):  # due today: nothing overdue yet
        await interest_notes.make_by_hand(admin, invoice["id"])

    clock.day(invoice["due_on"] + dt.timedelta(days=10))
    first = await interest_notes.make_by_hand(admin, invoice["id"])
    assert first["number"] == "R2027-000001"
    assert first["total_cents"] == interest_notes.interest_between(invoice, [], [], None, clock.moment.date())
    with pytest.raises(Conflict, match="already charges the interest up to"):
        await interest_notes.make_by_hand(admin, invoice["id"])  # the same day again

    # The collection step later charges the interest from the end of this note, and the costs.
    day = invoice["due_on"] + dt.timedelta(days=42)
    clock.day(day)
    await reminders.send_due()
    second = (await notes_of(invoice["id"]))[-1]
    assert second["number"] == "R2027-000002"  # no gap: the refusals took no number
    assert second["interest_from"] == first["interest_to"]
    both = first["total_cents"] + second["total_cents"] - max(75_000, round(invoice["total_cents"] * 0.15))
    assert abs(both - interest_notes.interest_between(invoice, [], [], None, day)) <= 1

    with pytest.raises(Conflict, match="final invoices only"):
        await interest_notes.make_by_hand(admin, second["id"])  # not a note of a note
    await payments.record(admin, invoice["id"], invoice["total_cents"], day)
    clock.day(day + dt.timedelta(days=5))
    with pytest.raises(Conflict, match="is overdue"):  # paid: nothing open
        await interest_notes.make_by_hand(admin, invoice["id"])
    audits = await AuditEntry.count().where(AuditEntry.action == "billing.interest_note_made")
    assert audits == 2


async def test_the_button_on_the_admin_invoice_page(client, clock):
    made = await overdue()
    invoice = made["invoice"]
    await signed_in_admin(client)
    page = f"/admin/billing/invoices/{invoice['id']}"
    clock.day(invoice["due_on"])
    refused = await client.post_form(f"{page}/interest-note", {}, follow_redirects=True)
    assert "is overdue: there is no interest to charge" in text_of(refused.text)
    clock.day(invoice["due_on"] + dt.timedelta(days=20))
    done = await client.post_form(f"{page}/interest-note", {}, follow_redirects=True)
    assert "Interest note R2027-000001 is made and sent." in text_of(done.text)
    assert "Make an interest note up to today" in text_of(done.text)
    again = await client.post_form(f"{page}/interest-note", {}, follow_redirects=True)
    assert "R2027-000001 already charges the interest up to" in text_of(again.text)
    [note] = await notes_of(invoice["id"])
    original = text_of((await client.get(page)).text)
    assert "Interest note R2027-000001" in original and "interest up to" in original
    shown = await client.get(f"/admin/billing/invoices/{note['id']}")
    assert f"charges late-payment interest on invoice {invoice['number']}" in text_of(shown.text)
    assert (await client.post_form("/admin/billing/invoices/999999/interest-note", {})).status_code == 404


async def test_the_statement_counts_interest_once(client, clock):
    made = await overdue()
    invoice = made["invoice"]
    admin = await admin_actor()
    day = invoice["due_on"] + dt.timedelta(days=42)
    clock.day(day)
    before = await statement.statement(admin, made["org"]["id"], day)
    [item] = before["items"]
    assert item["interest_cents"] > 0 and item["collection_costs_cents"] >= 75_000

    await reminders.send_due()
    [note] = await notes_of(invoice["id"])
    same_day = await statement.statement(admin, made["org"]["id"], day)
    by_number = {i["number"]: i for i in same_day["items"]}
    assert set(by_number) == {invoice["number"], note["number"]}
    assert (
        by_number[invoice["number"]]["interest_cents"],
        by_number[invoice["number"]]["collection_costs_cents"],
    ) == (
        0,
        0,
    )
    assert by_number[note["number"]]["open_cents"] == note["total_cents"]
    assert same_day["total_due_cents"] == before["total_due_cents"]  # the same debt, now on a note

    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    answer = await client.get(
        f"/api/v1/organisations/{made['org']['id']}/statement?as_of={day.isoformat()}", headers=own
    )
    assert answer.status_code == 200
    kinds = {i["number"]: (i["kind"], i["interest_of"]) for i in answer.json()["items"]}
    assert kinds == {invoice["number"]: ("invoice", None), note["number"]: ("interest_note", invoice["id"])}
    assert answer.json()["total_due_cents"] == same_day["total_due_cents"]
    await sign_in_person(client, made["contact"]["person_row"])
    shown = text_of((await client.get(f"/organisation/invoices/{note['id']}")).text)
    assert f"This interest note charges late-payment interest on invoice {invoice['number']}" in shown
    assert "Overdue" not in shown and "Due" in shown
    original = text_of((await client.get(f"/organisation/invoices/{invoice['id']}")).text)
    assert f"Interest note {note['number']}" in original
    assert note["number"] in text_of((await client.get("/organisation/invoices")).text)
    on_statement = text_of((await client.get(f"/organisation/statement?as_of={day.isoformat()}")).text)
    assert f"{note['number']} (Interest note)" in on_statement

    later = day + dt.timedelta(days=20)
    on_later = await statement.statement(admin, made["org"]["id"], later)
    running = {i["number"]: i for i in on_later["items"]}[invoice["number"]]["interest_cents"]
    assert running == interest_notes.interest_between(invoice, [], [], day, later) > 0

    clock.day(later)
    await payments.record(admin, note["id"], note["total_cents"], later)
    paid = await statement.statement(admin, made["org"]["id"], later)
    assert [i["number"] for i in paid["items"]] == [invoice["number"]]  # the note is paid
    assert paid["total_due_cents"] == on_later["total_due_cents"] - note["total_cents"]
