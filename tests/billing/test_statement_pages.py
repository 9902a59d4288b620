"""The statement of account as a page (rules BIL-6, BIL-7): contact persons see their
organisation's, vendor admins any organisation's, in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing.services import payments, reference
from src.core.i18n import current_locale, format_money
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor
from tests.support import text_of


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def money(cents: int, language: str) -> str:
    token = current_locale.set(language)
    try:
        return format_money(cents)
    finally:
        current_locale.reset(token)


async def test_a_contact_person_reads_the_balance_open_invoices_and_payments(client, at):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    at.day(dt.date(2027, 4, 3))  # a month late
    await payments.record(await admin_actor(), made["invoice"]["id"], 1000, "2027-04-03", "Deelbetaling")
    await sign_in_person(client, made["contact"]["person_row"])
    answer = await client.get("/organisation/statement")
    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Statement of account" in text and "2027-000001" in text
    assert money(total - 1000, "en") in text and "Overdue" in text and "Final notice" in text
    assert reference.display(made["invoice"]["payment_reference"]) in text
    assert "Deelbetaling" in text and money(1000, "en") in text
    assert "/organisation/statement" in (await client.get("/organisation/invoices")).text

    ahead = text_of((await client.get("/organisation/statement?as_of=2027-06-01")).text)
    assert "if nothing more is paid by then" in ahead and "Handed to collection" in ahead
    assert money(75_000, "en") in ahead  # collection costs, at least EUR 750

    bad = await client.get("/organisation/statement?as_of=2027-02-31")
    assert bad.status_code == 422 and "YYYY-MM-DD" in text_of(bad.text)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Rekeningoverzicht", "Openstaande facturen", "Betalingen"]),
        ("sv", ["Kontoutdrag", "Obetalda fakturor", "Betalningar"]),
    ],
)
async def test_the_page_speaks_the_readers_language(client, language, words):
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    client.cookies.set("lang", language)
    text = text_of((await client.get("/organisation/statement", headers={"accept-language": language})).text)
    for word in words:
        assert word in text


async def test_a_vendor_admin_reads_any_organisations_statement_and_others_may_not(client):
    made = await invoiced()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin)
    listed = await client.get("/admin/billing/statements")
    assert listed.status_code == 200 and "Factuur Zorg B.V." in listed.text
    shown = await client.get(f"/admin/billing/statements/{made['org']['id']}")
    assert shown.status_code == 200 and "2027-000001" in text_of(shown.text)
    assert f'href="/admin/billing/invoices/{made["invoice"]["id"]}"' in shown.text
    assert (await client.get("/admin/billing/statements/999999")).status_code == 404

    await client.post_form("/signout", follow_redirects=False)
    await sign_in_person(client, made["contact"]["person_row"])
    refused = await client.get(f"/admin/billing/statements/{made['org']['id']}", follow_redirects=False)
    assert refused.status_code in (302, 303, 403) and "2027-000001" not in refused.text


async def test_the_invoice_page_shows_its_status_what_is_open_and_the_reference(client, at):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    await payments.record(await admin_actor(), made["invoice"]["id"], 1000, "2027-02-01")
    at.day(dt.date(2027, 3, 10))
    await sign_in_person(client, made["contact"]["person_row"])
    text = text_of((await client.get(f"/organisation/invoices/{made['invoice']['id']}")).text)
    assert "Overdue" in text and f"{money(total - 1000, 'en')} still open" in text
    assert reference.display(made["invoice"]["payment_reference"]) in text
    await payments.record(await admin_actor(), made["invoice"]["id"], total, "2027-03-10")
    paid = text_of((await client.get(f"/organisation/invoices/{made['invoice']['id']}")).text)
    assert "Paid" in paid and f"{money(1000, 'en')} paid beyond it, kept as your credit" in paid
