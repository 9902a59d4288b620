"""The vendor admins' overdue page: the ageing per payer kind with its chart, days sales
outstanding with its formula, and the largest overdue invoices, as of a day, in the reader's
language; a bad date falls back to today with a message."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core.i18n import current_locale, format_date, format_money
from tests import factories
from tests.billing.overdue_support import final_invoice, paid
from tests.signed_in import sign_in_person
from tests.support import text_of, vendor_today

AS_OF = dt.date(2027, 6, 30)


def money(cents: int, language: str = "en") -> str:
    token = current_locale.set(language)
    try:
        return format_money(cents)
    finally:
        current_locale.reset(token)


def day(value: dt.date) -> str:
    token = current_locale.set("en")
    try:
        return format_date(value)
    finally:
        current_locale.reset(token)


async def overdue_book() -> dict:
    org = await factories.organisation(name="Zorg Noord B.V.")
    mine = await final_invoice(
        org, 123_400, AS_OF - dt.timedelta(days=45), issued_on=AS_OF - dt.timedelta(days=75)
    )
    await paid(mine, 23_400, AS_OF - dt.timedelta(days=10))
    theirs = await final_invoice(org, 45_000, AS_OF - dt.timedelta(days=95), payer="VZVZ")
    return {"org": org, "mine": mine, "theirs": theirs}


async def test_the_page_shows_the_ageing_chart_dso_and_largest_items(client):
    book = await overdue_book()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert 'href="/admin/billing/overdue"' in (await client.get("/admin/billing")).text
    page = await client.get(f"/admin/billing/overdue?as_of={AS_OF.isoformat()}")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and 'role="img"' in html and "<desc" in html
    assert f"31–60 days: Organisations {money(100_000)}, Third-party payers {money(0)}" in html
    assert f"Over 90 days: Organisations {money(0)}, Third-party payers {money(45_000)}" in html
    assert f'href="/admin/billing/invoices/{book["mine"]["id"]}"' in html
    text = text_of(html)
    assert "Zorg Noord B.V." in text and "VZVZ" in text and "Handed to collection" in text
    assert money(145_000) in text  # the total overdue
    # DSO: 145,000 open / 123,400 invoiced in the 90 days (VZVZ's was invoiced before) x 90.
    assert "open receivables on" in text and "× 90" in text
    assert f"{money(145_000)} ÷ {money(123_400)} × 90 = 105.8 days." in text
    ahead = text_of((await client.get(f"/admin/billing/overdue?as_of={vendor_today().year + 1}-12-31")).text)
    assert "This is what will be overdue on" in ahead and money(145_000) in ahead
    nothing = text_of((await client.get("/admin/billing/overdue?as_of=2001-01-01")).text)
    assert "Nothing is overdue on this day." in nothing and "there is no figure" in nothing
    assert "if nothing more is paid by then" not in nothing  # a day past


@pytest.mark.parametrize("bad", ["2027-02-30", "nonsense", "0001-01-01", "99999-01-01"])
async def test_a_bad_date_falls_back_to_today_with_a_message(client, bad):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    page = await client.get("/admin/billing/overdue", params={"as_of": bad})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Shown as of today" in text and 'aria-invalid="true"' in page.text
    assert f"Shown as of today, {day(vendor_today())}." in text  # NUL and such: tests/test_bad_input_walk.py


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Te laat", "Derde betalers", "Debiteurendagen (DSO)", "31–60 dagen"]),
        ("sv", ["Försenat", "Tredjepartsbetalare", "Genomsnittlig kredittid (DSO)", "31–60 dagar"]),
    ],
)
async def test_the_page_in_dutch_and_swedish(client, language, words):
    await overdue_book()
    admin = await factories.vendor_admin(locale=language)
    await sign_in_person(client, admin, provider="staff")
    text = text_of((await client.get(f"/admin/billing/overdue?as_of={AS_OF.isoformat()}")).text)
    for word in words:
        assert word in text
    assert money(100_000, language).replace("\xa0", " ") in text


async def test_a_contact_person_may_not_open_it(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    assert (await client.get("/admin/billing/overdue")).status_code == 403
