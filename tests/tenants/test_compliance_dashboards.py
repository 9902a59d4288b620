"""Dashboards: the vendor admin's agreements overview and the organisation's."""

from __future__ import annotations

import datetime as dt

import pytest

from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import compliance, requests
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of, vendor_today
from tests.tenants.test_compliance import admin_actor, announce, sign_agreement, subscribe
from tests.tenants.test_rights import actor_of

TODAY = vendor_today()


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def test_the_vendor_admin_overview_names_what_needs_attention(client):
    # rule AG-1, rule AG-3, rule MOD-8
    await announce(announced_on=TODAY - dt.timedelta(days=170), months=6)  # deadline in about two weeks
    lacking = await factories.organisation(name="Zonder Akkoord B.V.")
    complete = await factories.organisation(name="Helemaal Rond B.V.")
    await sign_agreement(complete)
    await subscribe(complete)
    contact = await factories.member(lacking, role="contact_person")
    await requests.create_request(
        await actor_of(contact), lacking["id"], name="Rita Request", email="r@x.example", card_id="UZI-5"
    )
    overview = await compliance.admin_overview(await admin_actor())
    assert [o["name"] for o in overview["without_agreement"]] == ["Zonder Akkoord B.V."]
    assert [a["organisation"]["name"] for a in overview["approaching"]] == ["Zonder Akkoord B.V."]
    assert overview["documents"][0]["acceptances"] == 1
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    page = text_of((await client.get("/admin/overview")).text)
    assert "Zonder Akkoord B.V." in page and "Rita Request" in page
    assert "1 of 2 active organisations" in page  # the count of two reads as a plural
    assert "Helemaal Rond B.V." not in page


async def test_the_organisation_overview_shows_agreement_copy_subscriptions_and_rights(client):
    org = await factories.organisation()
    await sign_agreement(org)
    await subscribe(org)
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    answer = await client.get("/organisation/overview")
    text = text_of(answer.text)
    assert answer.status_code == 200
    assert "Signed" in text and "Download the signed copy (PDF)" in text
    assert "Webcert" in text and 'href="/organisation/rights"' in answer.text
    assert "× 1" not in text  # one of a subscription needs no count
    pdf_link = answer.text.split('href="/organisation/agreement/acceptances/')[1].split('"')[0]
    pdf = await client.get(f"/organisation/agreement/acceptances/{pdf_link}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_the_overviews_are_for_their_own_people(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/admin/overview")).status_code == 403
    assert 'href="/organisation/rights"' not in (await client.get("/organisation/overview")).text
