"""Contact persons order from the catalogue (rules AG-1, AG-8, SUB-1, SUB-5, SUB-6)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from src.core import clock
from src.core.tables import AuditEntry, OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import pricing
from src.subscriptions.tables import Charge, ServiceVariant, Subscription
from src.tenants.tables import Organisation
from tests import factories
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for, sign_agreement

D = dt.date
TODAY = D(2027, 1, 10)


@pytest.fixture(autouse=True)
def on_the_tenth_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))


def url(org_id: int) -> str:
    return f"/api/v1/organisations/{org_id}/subscriptions"


async def signed(country: str = "NL", **fields) -> tuple[dict, dict, dict[str, str]]:
    await seed_catalogue()
    org = await factories.organisation(country=country, **fields)
    signer = await sign_agreement(org, TODAY)
    return org, signer, await bearer_for(signer["person"], org["id"])


async def test_a_contact_person_previews_then_orders_and_the_contact_persons_are_told(client):
    # rules AG-8, SUB-1: the confirmation step says what the order costs before anything is stored
    org, signer, headers = await signed()
    preview = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone", "quantity": 2, "preview": True},
        headers=headers,
    )
    assert preview.status_code == 200, preview.text
    quote = preview.json()
    assert quote["monthly_price_cents"] == 9900 and quote["monthly_amount_cents"] == 19800
    assert quote["vat_rate_percent"] == 21 and quote["vat_cents"] == 4158
    assert quote["monthly_total_cents"] == 23958
    assert quote["starts_on"] == "2027-01-10" and quote["first_invoice_on"] == "2027-02-01"
    assert quote["notice_months"] == 3 and "3 months" in quote["notice_terms"]
    assert await Subscription.count() == 0 and await OutboxMessage.count() == 0

    answer = await client.post(
        url(org["id"]),
        json={
            "service": "webcert",
            "variant": "standalone",
            "quantity": 2,
            "expected_monthly_price_cents": 9900,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["quantity"] == 2 and body["status"] == "active" and body["starts_on"] == "2027-01-10"
    assert body["monthly_price_cents"] == 9900 and body["monthly_amount_cents"] == 19800
    assert body["ends_on"] is None
    audit = await AuditEntry.select().where(AuditEntry.action == "subscriptions.subscription_added").first()
    assert audit["actor_person_id"] == signer["person"]
    mails = await OutboxMessage.select()
    assert len(mails) == 1
    payload = json.loads(mails[0]["payload"]) if isinstance(mails[0]["payload"], str) else mails[0]["payload"]
    assert "Bestelling bevestigd" in payload["subject"]  # the organisation's language (NL)
    assert "1 feb 2027" in payload["body"]


async def test_a_swedish_business_with_a_vat_number_is_shown_its_vat_as_reverse_charged(client):
    # the vendor is Dutch (VENDOR_COUNTRY=NL): a Swedish business customer with a VAT number
    # accounts for the VAT itself; without one it pays the Dutch rate
    org, _signer, headers = await signed("SE")
    order = {"service": "webcert", "variant": "standalone", "preview": True}
    without = (await client.post(url(org["id"]), json=order, headers=headers)).json()
    assert without["vat_rate_percent"] == 21 and without["monthly_total_cents"] == 11979
    await Organisation.update({Organisation.vat_number: "SE556781234101"}).where(Organisation.id == org["id"])
    quote = (await client.post(url(org["id"]), json=order, headers=headers)).json()
    assert (
        quote["vat_rate_percent"] is None and quote["vat_cents"] == 0 and quote["monthly_total_cents"] == 9900
    )


async def test_without_a_signed_agreement_the_order_is_refused_naming_it(client):
    # rule AG-1
    await seed_catalogue()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    answer = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone"},
        headers=await bearer_for(contact["person"], org["id"]),
    )
    assert answer.status_code == 409 and "agreement" in answer.json()["detail"]
    assert await Subscription.count() == 0


async def test_an_end_user_may_not_order(client):
    org, _signer, _headers = await signed()
    user = await factories.member(org)
    answer = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone"},
        headers=await bearer_for(user["person"], org["id"]),
    )
    assert answer.status_code == 403 and await Subscription.count() == 0


async def test_a_price_changed_between_showing_and_confirming_refuses_the_order(client):
    # rule SUB-6: never silently another price
    org, _signer, headers = await signed()
    await ServiceVariant.update({ServiceVariant.monthly_price_cents: 10900}).where(
        ServiceVariant.code == "standalone"
    )
    answer = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone", "expected_monthly_price_cents": 9900},
        headers=headers,
    )
    assert answer.status_code == 409 and "price changed" in answer.json()["detail"]
    assert await Subscription.count() == 0


async def test_an_order_starting_after_a_price_change_is_quoted_at_that_days_price(client):
    # rule SUB-4: the price in force on the first day
    org, _signer, headers = await signed()
    variant = await ServiceVariant.select().where(ServiceVariant.code == "standalone").first()
    await pricing.schedule(await admin_actor(), variant["id"], 12000, D(2027, 5, 10))
    quote = (
        await client.post(
            url(org["id"]),
            json={"service": "webcert", "variant": "standalone", "start": "2027-05-10", "preview": True},
            headers=headers,
        )
    ).json()
    assert quote["monthly_price_cents"] == 12000
    day_before = (
        await client.post(
            url(org["id"]),
            json={"service": "webcert", "variant": "standalone", "start": "2027-05-09", "preview": True},
            headers=headers,
        )
    ).json()
    assert day_before["monthly_price_cents"] == 9900


async def test_business_internet_goes_to_the_postal_address_where_it_is_available(client):
    # rule SUB-5: ordered only where the vendor's areas say it is available
    org, _signer, headers = await signed(postal_address="Zorg B.V.\nLindelaan 12\n3581 KD Utrecht")
    answer = await client.post(
        url(org["id"]), json={"service": "business_internet", "variant": "fibre"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["address"] == {"street": "Lindelaan 12", "postcode": "3581 KD", "city": "Utrecht"}

    elsewhere = await client.post(
        url(org["id"]),
        json={
            "service": "business_internet",
            "variant": "adsl",
            "address": {"street": "Dorpsstraat 1", "postcode": "8011 AA", "city": "Zwolle"},
        },
        headers=headers,
    )
    assert elsewhere.status_code == 422
    assert "not available at postcode 8011 AA" in json.dumps(elsewhere.json()["errors"])
    assert await Subscription.count() == 1


async def test_a_certificate_service_is_charged_per_certificate_issued_not_when_ordered(client):
    # rule BIL-1: the fee follows each issued certificate, so ordering charges nothing
    org, _signer, headers = await signed()
    quote = (
        await client.post(
            url(org["id"]),
            json={"service": "uzi_server_certificate", "variant": "server_certificate", "preview": True},
            headers=headers,
        )
    ).json()
    assert quote["once_per_unit_cents"] == 45000 and quote["monthly_total_cents"] == 0
    answer = await client.post(
        url(org["id"]),
        json={"service": "uzi_server_certificate", "variant": "server_certificate"},
        headers=headers,
    )
    assert answer.status_code == 201 and await Charge.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "webcert", "variant": "nope"}, "variant"),
        ({"service": "nope", "variant": "standalone"}, "service"),
        ({"service": "webcert", "variant": "standalone", "quantity": 0}, "quantity"),
        ({"service": "webcert", "variant": "standalone", "quantity": 10**9}, "quantity"),
        ({"service": "webcert", "variant": "standalone", "start": "2027-01-09"}, "start"),
        ({"service": "webcert", "variant": "standalone", "start": "2029-01-01"}, "start"),
    ],
)
async def test_bad_orders_answer_422_naming_the_field_and_store_nothing(client, body, field):
    org, _signer, headers = await signed()
    answer = await client.post(url(org["id"]), json=body, headers=headers)
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json()["errors"]}
    assert await Subscription.count() == 0 and await OutboxMessage.count() == 0


async def test_a_vendor_admin_records_a_subscription_from_a_past_day_without_an_agreement(client):
    await seed_catalogue()
    org = await factories.organisation()
    _admin, headers = await admin_headers()
    answer = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone", "start": "2026-06-01"},
        headers=headers,
    )
    assert answer.status_code == 201 and answer.json()["starts_on"] == "2026-06-01"


async def test_another_organisations_contact_person_cannot_order_for_it(client):
    org, _signer, _headers = await signed()
    _other, _other_signer, other_headers = await signed()
    answer = await client.post(
        url(org["id"]), json={"service": "webcert", "variant": "standalone"}, headers=other_headers
    )
    assert answer.status_code == 404 and await Subscription.count() == 0
