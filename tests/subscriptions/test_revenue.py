"""Monthly recurring revenue now and committed, per service and currency, at its boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core import clock, db
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import revenue
from src.subscriptions.services.pricing import History
from src.subscriptions.services.revenue import VariantInfo, mrr
from src.subscriptions.tables import PriceChange, ServiceVariant, Subscription, SubscriptionChange
from tests import factories
from tests.certificates.workflow_support import admin_actor
from tests.signed_in import sign_in_person
from tests.support import text_of

D = dt.date
TODAY = D(2027, 1, 10)
MAIL, PREMIUM, FIBRE, SEK = 1, 2, 3, 4
VARIANTS = {
    MAIL: VariantInfo(service=10, currency="EUR"),
    PREMIUM: VariantInfo(service=10, currency="EUR"),
    FIBRE: VariantInfo(service=20, currency="EUR"),
    SEK: VariantInfo(service=20, currency="SEK"),
}
HISTORIES = {
    MAIL: History((None,), (600,)),
    PREMIUM: History((None,), (1500,)),
    # a new price announced for the first of May: today's is the old one
    FIBRE: History((None, D(2027, 5, 1)), (8500, 9900)),
    SEK: History((None,), (10000,)),
}


def sub(id_: int, variant: int, quantity: int = 1, **fields) -> dict:
    row = {"id": id_, "variant": variant, "quantity": quantity, "status": "active"}
    row.update({"starts_on": D(2026, 1, 1), "ends_on": None, **fields})
    return row


def amounts(subscriptions, changes=None, histories=None) -> dict:
    found = mrr(subscriptions, changes or {}, VARIANTS, histories or HISTORIES, TODAY)
    return {key: (a.now_cents, a.committed_cents) for key, a in found.items()}


def test_a_running_subscription_counts_now_and_committed_price_times_quantity():
    assert amounts([sub(1, MAIL, 3)]) == {(10, "EUR"): (1800, 1800)}


def test_a_subscription_ending_today_no_longer_counts():
    assert amounts([sub(1, MAIL, ends_on=TODAY)]) == {}


def test_a_subscription_ending_tomorrow_counts_now_but_is_not_committed():
    assert amounts([sub(1, MAIL, ends_on=TODAY + dt.timedelta(days=1))]) == {(10, "EUR"): (600, 0)}


def test_a_subscription_starting_tomorrow_is_committed_but_not_yet_counted_now():
    tomorrow = TODAY + dt.timedelta(days=1)
    assert amounts([sub(1, MAIL, starts_on=tomorrow)]) == {(10, "EUR"): (0, 600)}
    assert amounts([sub(1, MAIL, starts_on=TODAY)]) == {(10, "EUR"): (600, 600)}


def test_a_scheduled_cancellation_counts_now_and_commits_nothing():
    cancel = {1: {"kind": "cancel", "to_variant": None, "to_quantity": 0}}
    assert amounts([sub(1, MAIL, 2)], cancel) == {(10, "EUR"): (1200, 0)}


def test_a_scheduled_downgrade_commits_the_new_variant_times_the_new_quantity():
    down = {1: {"kind": "downgrade", "to_variant": MAIL, "to_quantity": 2}}
    assert amounts([sub(1, PREMIUM, 3)], down) == {(10, "EUR"): (4500, 1200)}
    fewer = {1: {"kind": "downgrade", "to_variant": None, "to_quantity": 1}}
    assert amounts([sub(1, PREMIUM, 3)], fewer) == {(10, "EUR"): (4500, 1500)}


def test_a_price_change_effective_later_is_committed_and_not_yet_counted_now():
    assert amounts([sub(1, FIBRE, 2)]) == {(20, "EUR"): (17000, 19800)}
    on_the_day = {**HISTORIES, FIBRE: History((None, TODAY), (8500, 9900))}
    assert amounts([sub(1, FIBRE, 2)], histories=on_the_day) == {(20, "EUR"): (19800, 19800)}


def test_cancelled_rows_count_nowhere_and_each_currency_is_summed_on_its_own():
    rows = [sub(1, MAIL), sub(2, PREMIUM), sub(3, FIBRE), sub(4, SEK, 2), sub(5, MAIL, status="cancelled")]
    assert amounts(rows) == {
        (10, "EUR"): (2100, 2100),
        (20, "EUR"): (8500, 9900),
        (20, "SEK"): (20000, 20000),
    }


@pytest.fixture
def on_the_tenth_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))


async def subscribe(org: dict, code: str, quantity: int = 1, **fields) -> int:
    variant = await ServiceVariant.select().where(ServiceVariant.code == code).first()
    rows = await Subscription.insert(
        Subscription(
            organisation=org["id"],
            service=variant["service"],
            variant=variant["id"],
            quantity=quantity,
            starts_on=fields.pop("starts_on", D(2026, 6, 1)),
            price_cents=variant["monthly_price_cents"],
            **fields,
        )
    ).returning(Subscription.id)
    return int(rows[0]["id"])


async def test_the_revenue_page_shows_now_and_committed_per_service_and_in_total(
    client, on_the_tenth_of_january
):
    await seed_catalogue()
    org = await factories.organisation()
    fibre = await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()
    await subscribe(org, "fibre", 2)  # 2 x 85.00 now, 2 x 99.00 committed
    await PriceChange.insert(
        PriceChange(
            variant=fibre["id"],
            monthly_price_cents=9900,
            previous_price_cents=8500,
            announced_on=TODAY,
            effective_on=D(2027, 5, 10),
        )
    )
    mail = await subscribe(org, "mail", 10)  # 10 x 6.00 now, cancelled later
    await SubscriptionChange.insert(
        SubscriptionChange(
            subscription=mail, kind="cancel", given_on=TODAY, effective_on=D(2027, 4, 10), to_quantity=0
        )
    )
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    page = text_of((await client.get("/admin/revenue")).text)
    assert "Business internet €170.00 €198.00 €28.00" in page
    assert "Cloud Office €60.00 €0.00 -€60.00" in page
    assert "Total in EUR €230.00 €198.00 -€32.00" in page


async def test_revenue_is_read_in_the_same_few_queries_for_any_number_of_organisations(
    monkeypatch, on_the_tenth_of_january
):
    await seed_catalogue()
    engine = type(db.engine())
    original = engine.run_querystring
    counted: list[int] = []

    async def counting(self, *args, **kwargs):
        counted.append(1)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(engine, "run_querystring", counting)
    admin = await admin_actor()

    async def queries() -> int:
        counted.clear()
        await revenue.revenue(admin)
        return len(counted)

    org = await factories.organisation()
    await subscribe(org, "fibre")
    one = await queries()
    for _ in range(4):
        org = await factories.organisation()
        await subscribe(org, "mail", 3)
        changed = await subscribe(org, "fibre")
        await SubscriptionChange.insert(
            SubscriptionChange(
                subscription=changed, kind="cancel", given_on=TODAY, effective_on=D(2027, 4, 10)
            )
        )
    assert 0 < one <= 10  # the catalogue with its prices in force, the subscriptions, their changes
    assert await queries() == one
