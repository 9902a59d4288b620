"""Prices in force per day and price changes announced four months ahead (rule SUB-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core import clock
from src.core.errors import Forbidden, InputError
from src.core.tables import AuditEntry
from src.core.tenancy import Actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import pricing
from src.subscriptions.tables import PriceChange, ServiceVariant

D = dt.date
ADMIN = Actor(person_id=0, name="Vendor Admin", is_vendor_admin=True)


@pytest.fixture
def on_day(monkeypatch):
    """The portal's clock set to noon (UTC) of a given day."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(clock, "now", lambda: dt.datetime.combine(day, dt.time(12), dt.UTC))

    return set_day


async def fibre() -> dict:
    await seed_catalogue()
    return await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()


async def test_a_price_change_exactly_four_months_ahead_is_taken_and_one_day_less_is_refused(on_day):
    # rule SUB-4
    variant = await fibre()
    on_day(D(2027, 1, 10))
    with pytest.raises(InputError) as refused:
        await pricing.schedule(ADMIN, variant["id"], 9900, "2027-05-09")
    assert "effective_on" in refused.value.errors
    assert (
        "10 May 2027" in refused.value.errors["effective_on"]
        or "2027" in refused.value.errors["effective_on"]
    )
    assert await PriceChange.count() == 0

    row = await pricing.schedule(ADMIN, variant["id"], 9900, "2027-05-10")
    assert (row["announced_on"], row["effective_on"]) == (D(2027, 1, 10), D(2027, 5, 10))
    assert row["previous_price_cents"] == variant["monthly_price_cents"]
    assert await AuditEntry.exists().where(AuditEntry.action == "subscriptions.price_change_scheduled")


async def test_the_price_in_force_changes_on_the_effective_day(on_day):
    # rule SUB-4: invoices use the price of each day
    variant = await fibre()
    old = variant["monthly_price_cents"]
    on_day(D(2027, 1, 10))
    await pricing.schedule(ADMIN, variant["id"], old + 1000, "2027-06-01")
    await pricing.schedule(ADMIN, variant["id"], old + 2000, "2027-09-01")
    assert await pricing.price_on(variant["id"], D(2027, 5, 31)) == old
    assert await pricing.price_on(variant["id"], D(2027, 6, 1)) == old + 1000
    assert await pricing.price_on(variant["id"], D(2027, 8, 31)) == old + 1000
    assert await pricing.price_on(variant["id"], D(2027, 9, 1)) == old + 2000


async def test_of_two_changes_for_one_day_the_later_counts(on_day):
    variant = await fibre()
    on_day(D(2027, 1, 10))
    await pricing.schedule(ADMIN, variant["id"], 5000, "2027-06-01")
    second = await pricing.schedule(ADMIN, variant["id"], 6000, "2027-06-01")
    assert second["previous_price_cents"] == variant["monthly_price_cents"]
    assert await pricing.price_on(variant["id"], D(2027, 6, 1)) == 6000


@pytest.mark.parametrize("bad", [-1, "ten", None, True, 10**12])
async def test_a_bad_price_is_refused_and_nothing_is_stored(on_day, bad):
    variant = await fibre()
    on_day(D(2027, 1, 10))
    with pytest.raises(InputError) as refused:
        await pricing.schedule(ADMIN, variant["id"], bad, "2027-12-01")
    assert "monthly_price_cents" in refused.value.errors
    assert await PriceChange.count() == 0


async def test_only_vendor_admins_change_prices(on_day):
    variant = await fibre()
    contact = Actor(person_id=1, name="C", organisation_id=1, role="contact_person")
    with pytest.raises(Forbidden):
        await pricing.schedule(contact, variant["id"], 5000, "2030-01-01")
    assert await PriceChange.count() == 0
