"""A new price is announced at least four months ahead, to everyone it concerns (rule SUB-4)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from src.core import clock
from src.core.i18n import format_money
from src.core.tables import OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.tables import PriceChange, ServiceVariant, Subscription
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_headers, bearer_for
from tests.support import text_of

D = dt.date
TODAY = D(2027, 1, 10)


@pytest.fixture(autouse=True)
def on_the_tenth_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))


async def subscribed(
    country: str = "NL", contact_email: str = "inkoop@example.org"
) -> tuple[dict, dict, dict]:
    await seed_catalogue()
    org = await factories.organisation(country=country)
    contact = await factories.member(org, role="contact_person", email=contact_email)
    variant = await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()
    await Subscription.insert(
        Subscription(
            organisation=org["id"],
            service=variant["service"],
            variant=variant["id"],
            quantity=2,
            starts_on=D(2026, 6, 1),
            price_cents=variant["monthly_price_cents"],
        )
    )
    return org, contact, variant


def body(**fields):
    return {"service": "business_internet", "variant": "fibre", "monthly_price_cents": 9900, **fields}


async def test_a_vendor_admin_announces_a_price_and_each_subscriber_is_told_once_in_its_language(client):
    # rule SUB-4
    _org, _contact, variant = await subscribed("NL")
    await subscribed("SE", "inkop@example.se")
    await factories.organisation()  # subscribes to nothing: told nothing
    _admin, headers = await admin_headers()

    answer = await client.post("/api/v1/price-changes", json=body(effective_on="2027-05-10"), headers=headers)
    assert answer.status_code == 201, answer.text
    change = answer.json()
    assert change["announced_on"] == "2027-01-10" and change["effective_on"] == "2027-05-10"
    assert change["organisations_notified"] == 2
    assert change["previous_price_cents"] == variant["monthly_price_cents"]

    payloads = [
        json.loads(m["payload"]) if isinstance(m["payload"], str) else m["payload"]
        for m in await OutboxMessage.select()
    ]
    mails = {p["to"][0]: p for p in payloads}
    assert set(mails) == {"inkoop@example.org", "inkop@example.se"}
    dutch = mails["inkoop@example.org"]
    assert dutch["subject"].startswith("Nieuwe prijs van Zakelijk internet glasvezel vanaf ")
    assert "99,00" in dutch["body"] and "wijzigt" in dutch["body"]
    assert mails["inkop@example.se"]["subject"].startswith("Nytt pris för Företagsinternet fiber")

    listed = await client.get("/api/v1/price-changes", headers=headers)
    assert [c["id"] for c in listed.json()] == [change["id"]]


async def test_a_day_less_than_four_months_ahead_is_refused_naming_the_earliest_day(client):
    # rule SUB-4
    await subscribed()
    _admin, headers = await admin_headers()
    answer = await client.post("/api/v1/price-changes", json=body(effective_on="2027-05-09"), headers=headers)
    assert answer.status_code == 422
    assert "effective_on" in answer.text and "2027" in answer.text
    assert await PriceChange.count() == 0 and await OutboxMessage.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"variant": "warp_drive"}, "variant"), ({"service": "nope"}, "service")],
)
async def test_an_unknown_service_or_variant_is_refused_naming_it(client, fields, field):
    await subscribed()
    _admin, headers = await admin_headers()
    answer = await client.post(
        "/api/v1/price-changes", json=body(effective_on="2027-12-01", **fields), headers=headers
    )
    assert answer.status_code == 422 and field in answer.text
    assert await PriceChange.count() == 0


async def test_a_contact_person_cannot_change_prices(client):
    org, contact, _variant = await subscribed()
    headers = await bearer_for(contact["person"], org["id"])
    answer = await client.post("/api/v1/price-changes", json=body(effective_on="2027-12-01"), headers=headers)
    assert answer.status_code == 403
    assert (await client.get("/api/v1/price-changes", headers=headers)).status_code == 403
    assert await PriceChange.count() == 0


async def test_the_subscriptions_page_shows_the_announced_price_until_its_day(client, monkeypatch):
    # rule SUB-4: a notice on the subscriptions page until the date passes
    _org, contact, _variant = await subscribed()
    _admin, headers = await admin_headers()
    await client.post("/api/v1/price-changes", json=body(effective_on="2027-05-10"), headers=headers)
    await sign_in_person(client, contact["person_row"])
    page = text_of((await client.get("/organisation/subscriptions")).text)
    assert "changes from" in page and format_money(9900) in page

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 5, 10, 12, tzinfo=dt.UTC))
    page = text_of((await client.get("/organisation/subscriptions")).text)
    assert "changes from" not in page
