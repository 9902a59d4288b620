"""The review period of invoices (INVOICE_REVIEW_DAYS): a run leaves drafts for review, a vendor
admin finalises them (audited), the hourly job finalises those whose period has ended, and two
finalisations of one draft at once take one number."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from src.billing import repository
from src.billing.services import invoicing, review
from src.billing.tables import Invoice, NumberSeries
from src.core import db
from src.core.errors import Forbidden
from src.core.tables import AuditEntry
from src.core.tenancy import Actor
from src.settings import get_settings, override_settings
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor
from tests.support import text_of


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def review_days(days: int) -> None:
    override_settings(dataclasses.replace(get_settings(), invoice_review_days=days))


async def two_drafts() -> list[dict[str, Any]]:
    review_days(3)
    await invoiced("Zorg Noord B.V.")
    await invoiced("Zorg Zuid B.V.")
    return await Invoice.select().order_by(Invoice.id)


async def finalised_audits() -> list[dict[str, Any]]:
    rows = await AuditEntry.select().where(AuditEntry.action == "billing.invoice_finalised")
    return [json.loads(r["after"]) if isinstance(r["after"], str) else r["after"] for r in rows]


async def test_with_a_review_period_a_run_ends_leaving_its_invoices_as_drafts(at):
    drafts = await two_drafts()
    assert [d["status"] for d in drafts] == ["draft", "draft"]
    assert all(d["number"] is None for d in drafts)
    assert [r["status"] for r in await repository.runs()] == ["done", "done"]
    listed = await review.drafts(await admin_actor())
    assert [d["customer_name"] for d in listed] == ["Zorg Noord B.V.", "Zorg Zuid B.V."]
    assert listed[0]["finalised_from"] == at.moment + dt.timedelta(days=3)


async def test_without_a_review_period_the_run_finalises_at_once(at):
    made = await invoiced()
    assert made["invoice"]["status"] == "final" and made["invoice"]["number"] == "2027-000001"


async def test_a_vendor_admin_finalises_one_draft_once_and_it_is_audited_once(at):
    drafts = await two_drafts()
    admin = await admin_actor()
    row, finalised = await review.finalise_one(admin, drafts[1]["id"])
    assert finalised and row["number"] == "2027-000001" and row["issued_on"] == dt.date(2027, 2, 1)
    again, finalised_again = await review.finalise_one(admin, drafts[1]["id"])
    assert not finalised_again and again["number"] == "2027-000001"
    assert await finalised_audits() == [{"status": "final", "number": "2027-000001"}]
    assert (await Invoice.select().where(Invoice.id == drafts[0]["id"]).first())["status"] == "draft"


async def test_a_selection_and_a_whole_run_are_finalised_with_gapless_numbers(at):
    drafts = await two_drafts()
    admin = await admin_actor()
    assert await review.finalise_selected(admin, [drafts[0]["id"], drafts[0]["id"], 99999]) == 1
    assert await review.finalise_run(admin, drafts[1]["billing_run"]) == 1
    assert await review.finalise_run(admin, drafts[1]["billing_run"]) == 0
    numbers = [r["number"] for r in await Invoice.select(Invoice.number).order_by(Invoice.id)]
    assert numbers == ["2027-000001", "2027-000002"]
    assert len(await finalised_audits()) == 2
    assert await review.drafts(admin) == []


async def test_only_vendor_admins_review(at):
    drafts = await two_drafts()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    person = Actor(person_id=contact["person"], name="Contact", is_vendor_admin=False)
    with pytest.raises(Forbidden):
        await review.drafts(person)
    with pytest.raises(Forbidden):
        await review.finalise_one(person, drafts[0]["id"])


async def test_the_hourly_job_finalises_drafts_once_their_review_period_has_ended(at):
    await two_drafts()
    at.day(dt.date(2027, 2, 3))
    assert await review.finalise_reviewed_drafts() == 0
    at.day(dt.date(2027, 2, 4))
    assert await review.finalise_reviewed_drafts() == 2
    assert await review.finalise_reviewed_drafts() == 0
    rows = await Invoice.select(Invoice.status, Invoice.number, Invoice.issued_on).order_by(Invoice.id)
    assert [r["number"] for r in rows] == ["2027-000001", "2027-000002"]
    assert {r["issued_on"] for r in rows} == {dt.date(2027, 2, 4)}


async def test_drafts_stay_invisible_to_the_organisation(at):
    review_days(3)
    made = await invoiced()
    contact = Actor(
        person_id=made["contact"]["person"],
        name="Contact",
        organisation_id=made["org"]["id"],
        membership_id=made["contact"]["id"],
        role="contact_person",
    )
    assert await invoicing.list_invoices(contact, made["org"]["id"]) == []


async def test_two_finalisations_of_one_draft_at_once_take_one_number(at, monkeypatch):
    """Both read the draft before either claims it (on PostgreSQL they meet at a barrier):
    only one takes a number, so the series has no gap."""
    drafts = await two_drafts()
    draft = drafts[0]
    if db.is_postgres():
        barrier = asyncio.Barrier(2)
        original = repository.invoice
        calls = iter(range(1000))

        async def meeting(scope: Any, invoice_id: int) -> dict[str, Any]:
            row = await original(scope, invoice_id)
            if next(calls) < 2:
                assert row["status"] == "draft"
                await barrier.wait()
            return row

        monkeypatch.setattr(repository, "invoice", meeting)
    admin = await admin_actor()
    results = await asyncio.gather(
        invoicing.finalise_draft(admin, draft["organisation"], draft["id"]),
        invoicing.finalise_draft(admin, draft["organisation"], draft["id"]),
    )
    assert sorted(finalised for _row, finalised in results) == [False, True]
    assert {row["number"] for row, _finalised in results} == {"2027-000001"}
    series = await NumberSeries.select().where(NumberSeries.key == "invoice:2027").first()
    assert series["last_number"] == 1
    later = await invoicing.finalise(admin, drafts[1]["organisation"], drafts[1]["id"])
    assert later["number"] == "2027-000002"


async def test_a_vendor_admin_finalises_ticked_drafts_on_the_review_page(client, at):
    drafts = await two_drafts()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert 'href="/admin/billing/drafts"' in (await client.get("/admin/billing")).text
    page = text_of((await client.get("/admin/billing/drafts")).text)
    assert "Zorg Noord B.V." in page and "Zorg Zuid B.V." in page and "4 Feb 2027" in page
    nothing = await client.post_form("/admin/billing/drafts/finalise", {"invoices": "x"})
    assert nothing.status_code == 422 and "Choose the drafts to finalise." in text_of(nothing.text)
    done = await client.post_form(
        "/admin/billing/drafts/finalise", {"invoices": str(drafts[1]["id"])}, follow_redirects=True
    )
    assert "1 invoice is finalised." in text_of(done.text)
    assert "Zorg Zuid B.V." not in text_of(done.text) and "Zorg Noord B.V." in text_of(done.text)
    rest = await client.post_form("/admin/billing/drafts/finalise", {"all": "1"}, follow_redirects=True)
    assert "1 invoice is finalised." in text_of(rest.text) and "No drafts to review." in text_of(rest.text)
    assert len(await finalised_audits()) == 2


async def test_a_contact_person_may_not_open_the_review_page(client, at):
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    assert (await client.get("/admin/billing/drafts")).status_code == 403
    refused = await client.post_form("/admin/billing/drafts/finalise", {"all": "1"})
    assert refused.status_code == 403
