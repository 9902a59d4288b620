"""The subscriptions page: a contact person orders, changes, cancels and withdraws through a
confirmation step (rules AG-8, SUB-2, SUB-3, SUB-6)."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core import clock
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.tables import ServiceVariant, Subscription, SubscriptionChange
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import sign_agreement
from tests.support import text_of

BASE = "/organisation/subscriptions"


@pytest.fixture(autouse=True)
def on_the_thirty_first_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 31, 12, tzinfo=dt.UTC))


async def contact_person(client, *, agreement: bool = True) -> dict:
    await seed_catalogue()
    org = await factories.organisation(postal_address="Zorg B.V.\nLindelaan 12\n3581 KD Utrecht")
    if agreement:
        contact = await sign_agreement(org, dt.date(2027, 1, 1))
    else:
        contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    return org


async def test_the_confirmation_step_shows_the_terms_before_anything_is_ordered(client):
    await contact_person(client)
    review = await client.post_form(f"{BASE}/order/review", {"offer": "webcert/standalone", "quantity": "2"})
    assert review.status_code == 200
    text = text_of(review.text)
    for expected in ("€198.00", "VAT 21 %", "€41.58", "€239.58", "31 Jan 2027", "1 Feb 2027", "3 months"):
        assert expected in text, expected
    assert await Subscription.count() == 0

    done = await client.post_form(
        f"{BASE}/order",
        {"offer": "webcert/standalone", "quantity": "2", "expected_monthly_price_cents": "9900"},
        follow_redirects=True,
    )
    text = text_of(done.text)
    assert "You ordered" in text and "€198.00" in text  # the monthly amount in the list
    assert "Monthly total, excluding VAT" in text
    assert await Subscription.count() == 1


async def test_a_price_changed_since_the_confirmation_step_is_shown_again_not_taken(client):
    # rule SUB-6
    await contact_person(client)
    await ServiceVariant.update({ServiceVariant.monthly_price_cents: 10900}).where(
        ServiceVariant.code == "standalone"
    )
    answer = await client.post_form(
        f"{BASE}/order",
        {"offer": "webcert/standalone", "quantity": "1", "expected_monthly_price_cents": "9900"},
    )
    assert answer.status_code == 409
    assert "price changed" in text_of(answer.text) and "€109.00" in text_of(answer.text)
    assert await Subscription.count() == 0


async def test_without_an_agreement_the_contact_person_is_sent_to_the_agreement_page(client):
    # rules AG-1, AG-8
    await contact_person(client, agreement=False)
    answer = await client.post_form(
        f"{BASE}/order", {"offer": "webcert/standalone", "quantity": "1"}, follow_redirects=True
    )
    assert str(answer.url).endswith("/organisation/agreement")
    assert "has not signed the customer agreement" in text_of(answer.text)
    assert await Subscription.count() == 0


async def test_bad_order_fields_are_named_on_the_form(client):
    await contact_person(client)
    answer = await client.post_form(f"{BASE}/order/review", {"offer": "webcert/nope", "quantity": "0"})
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Choose a variant of this service." in text and "Enter a quantity from 1 to" in text


async def test_a_cancellation_shows_its_date_and_can_be_withdrawn(client):
    # rule SUB-3: given on 31 January, it takes effect on 30 April
    await contact_person(client)
    await client.post_form(
        f"{BASE}/order", {"offer": "business_internet/vdsl_b", "quantity": "1"}, follow_redirects=True
    )
    sub = await Subscription.select().first()
    review = await client.post_form(f"{BASE}/{sub['id']}/change/review", {"kind": "cancel"})
    text = text_of(review.text)
    assert "30 Apr 2027" in text and "29 Apr 2027" in text  # takes effect; the last day
    assert await SubscriptionChange.count() == 0
    done = await client.post_form(f"{BASE}/{sub['id']}/change", {"kind": "cancel"}, follow_redirects=True)
    assert "Cancelled: the last day is 29 Apr 2027" in text_of(done.text)
    change = await SubscriptionChange.select().first()
    withdrawn = await client.post_form(
        f"{BASE}/{sub['id']}/changes/{change['id']}/withdraw", {}, follow_redirects=True
    )
    assert "The change was withdrawn" in text_of(withdrawn.text)
    assert "Cancelled:" not in text_of(withdrawn.text)


async def test_a_cheaper_variant_is_reviewed_as_a_downgrade_with_its_fee_on_its_day(client):
    await contact_person(client)
    await client.post_form(f"{BASE}/order", {"offer": "business_internet/fibre", "quantity": "1"})
    sub = await Subscription.select().first()
    page = await client.get(f"{BASE}/{sub['id']}/change")
    assert "Move to another address" in text_of(page.text)
    review = await client.post_form(
        f"{BASE}/{sub['id']}/change/review", {"kind": "auto", "variant": "adsl", "quantity": "1"}
    )
    text = text_of(review.text)
    assert "Downgrade" in text and "30 Apr 2027" in text and "€72.00" in text
    assert "charged when it takes effect" in text


async def test_an_end_user_sees_the_subscriptions_but_cannot_order(client):
    await seed_catalogue()
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    page = await client.get(BASE)
    assert "ordered by the contact persons" in text_of(page.text)
    answer = await client.post_form(f"{BASE}/order/review", {"offer": "webcert/standalone", "quantity": "1"})
    assert answer.status_code == 403
