"""The vendor admins' lists of what is still to take effect: the scheduled changes of
subscriptions across every organisation, and the price changes page (rule SUB-4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from src.core import clock
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.tables import PriceChange, ServiceVariant, Subscription, SubscriptionChange
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of

D = dt.date
TODAY = D(2027, 1, 10)


@pytest.fixture(autouse=True)
def on_the_tenth_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))


async def variant(code: str) -> dict:
    return await ServiceVariant.select().where(ServiceVariant.code == code).first()


async def subscription(org: dict, code: str, quantity: int = 1) -> int:
    v = await variant(code)
    rows = await Subscription.insert(
        Subscription(
            organisation=org["id"],
            service=v["service"],
            variant=v["id"],
            quantity=quantity,
            starts_on=D(2026, 6, 1),
            price_cents=v["monthly_price_cents"],
        )
    ).returning(Subscription.id)
    return int(rows[0]["id"])


async def change(subscription_id: int, kind: str, effective_on: dt.date, status: str = "scheduled", **fields):
    await SubscriptionChange.insert(
        SubscriptionChange(
            subscription=subscription_id,
            kind=kind,
            status=status,
            given_on=TODAY,
            effective_on=effective_on,
            **fields,
        )
    )


async def test_the_pending_changes_page_lists_scheduled_changes_only_the_earliest_first(client):
    await seed_catalogue()
    linde = await factories.organisation(name="Zorggroep De Linde B.V.")
    bjorken = await factories.organisation(name="Vårdcentralen Björken AB", country="SE")
    premium, essentials = await variant("premium"), await variant("essentials")
    office = await subscription(linde, "premium", 5)
    await change(
        office,
        "downgrade",
        D(2027, 4, 10),
        from_variant=premium["id"],
        to_variant=essentials["id"],
        from_quantity=5,
        to_quantity=3,
    )
    fibre = await subscription(bjorken, "fibre")
    await change(fibre, "cancel", D(2027, 3, 1), from_quantity=1, to_quantity=0)
    await change(fibre, "cancel", D(2027, 2, 1), status="withdrawn")
    await change(office, "upgrade", D(2026, 12, 1), status="applied")
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    answer = await client.get("/admin/subscription-changes")
    assert answer.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", answer.text, re.S)[1:]
    shown = [text_of(r) for r in rows]
    assert shown == [
        "1 Mar 2027 Vårdcentralen Björken AB Business internet Cancellation "
        "Business internet fibre × 1 Ends 10 Jan 2027",
        "10 Apr 2027 Zorggroep De Linde B.V. Cloud Office Downgrade "
        "Cloud Office Premium × 5 Cloud Office Essentials × 3 10 Jan 2027",
    ]
    assert f'href="/admin/organisations/{linde["id"]}/subscriptions"' in answer.text


async def test_without_scheduled_changes_the_page_says_so(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert "No changes are pending." in text_of((await client.get("/admin/subscription-changes")).text)


async def test_a_price_change_is_scheduled_from_the_page_and_listed(client):
    await seed_catalogue()
    org = await factories.organisation()
    await factories.member(org, role="contact_person")
    await subscription(org, "fibre", 2)
    fibre = await variant("fibre")
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    form = await client.get(f"/admin/price-changes?variant={fibre['id']}")
    assert "On 10 May 2027 at the earliest." in text_of(form.text)
    assert f'<option value="{fibre["id"]}" selected>' in form.text

    early = await client.post_form(
        "/admin/price-changes",
        {"variant": str(fibre["id"]), "monthly_price": "99,00", "effective_on": "2027-05-09"},
        follow_redirects=False,
    )
    assert early.status_code == 422
    assert 'id="f-effective_on-error"' in early.text
    assert "on 10 May 2027 at the earliest" in text_of(early.text)
    bad = await client.post_form(
        "/admin/price-changes",
        {"variant": "x", "monthly_price": "ninety", "effective_on": "2027-05-10"},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert 'id="f-variant-error"' in bad.text and 'id="f-monthly_price-error"' in bad.text
    assert await PriceChange.count() == 0

    done = await client.post_form(
        "/admin/price-changes",
        {"variant": str(fibre["id"]), "monthly_price": "99,00", "effective_on": "2027-05-10"},
    )
    assert "The new price takes effect on 10 May 2027; 1 organisation was told." in text_of(done.text)
    listed = text_of(done.text)
    assert (
        "Business internet Business internet fibre €85.00 €99.00 10 Jan 2027 10 May 2027 1 Scheduled"
        in listed
    )
    on_the_variant = text_of((await client.get(f"/admin/catalogue/variants/{fibre['id']}")).text)
    assert "€85.00 €99.00 10 Jan 2027 10 May 2027 Scheduled 1" in on_the_variant
