"""The invoices pages of contact persons and the billing runs page of vendor admins."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing.services import runs
from src.billing.tables import BillingRun
from src.core import clock
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor
from tests.support import text_of


@pytest.fixture(autouse=True)
def on_the_first_of_february(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC))


async def invoiced() -> tuple[dict, dict]:
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation(name="Factuur Zorg B.V.")
    contact = await factories.member(org, role="contact_person")
    await ordering.order(
        admin, org["id"], service="webcert", variant="standalone", start=dt.date(2027, 1, 10)
    )
    run = await runs.start(admin, "2027-01")
    await runs.run_batch(run["id"], 0)
    return org, contact


async def test_a_contact_person_reads_the_invoice_with_its_lines_and_vat(client):
    _org, contact = await invoiced()
    await sign_in_person(client, contact["person_row"])
    listed = await client.get("/organisation/invoices")
    text = text_of(listed.text)
    assert "2027-000001" in text and "€85.01" in text  # 22 of 31 days of €99.00, with 21 % VAT
    invoice_id = listed.text.split('href="/organisation/invoices/')[1].split('"')[0]
    detail = text_of((await client.get(f"/organisation/invoices/{invoice_id}")).text)
    assert "22 days" in detail and "10 jan 2027 – 31 jan 2027" in detail  # in the organisation's language
    assert "€70.26" in detail and "VAT 21 % on €70.26" in detail and "€14.75" in detail


async def test_an_end_user_sees_no_invoices(client):
    org, _contact = await invoiced()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/organisation/invoices")).status_code == 403


async def test_a_vendor_admin_starts_a_run_on_the_billing_page(client):
    await seed_catalogue()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    page = await client.get("/admin/billing")
    assert 'value="2027-01"' in page.text  # the month that just ended
    early = await client.post_form("/admin/billing/runs", {"period": "2027-02"})
    assert early.status_code == 422 and "can be invoiced from 1 Mar 2027" in text_of(early.text)
    started = await client.post_form("/admin/billing/runs", {"period": "2027-01"}, follow_redirects=True)
    assert "The billing run for 2027-01 has started." in text_of(started.text)
    assert await BillingRun.count() == 1
