"""Upgrades at once, downgrades and cancellations after the notice period, moves (rules SUB-2,
SUB-3, SUB-5), and the job that makes scheduled changes take effect once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from src.core import clock
from src.core.tables import AuditEntry, OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import changes, ordering
from src.subscriptions.services import subscriptions as subscriptions_service
from src.subscriptions.tables import Charge, Subscription, SubscriptionChange
from tests import factories
from tests.subscriptions.support import admin_actor, bearer_for, sign_agreement

D = dt.date


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment

    def day(self, day: dt.date) -> None:
        self.moment = dt.datetime.combine(day, dt.time(12), dt.UTC)


@pytest.fixture
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


async def internet(variant: str = "vdsl_b", quantity: int = 1, **fields) -> tuple[dict, dict, dict[str, str]]:
    """An organisation in Utrecht with business internet since 1 June 2026, and its contact
    person's token."""
    await seed_catalogue()
    org = await factories.organisation(postal_address="Zorg B.V.\nLindelaan 12\n3581 KD Utrecht", **fields)
    signer = await sign_agreement(org, D(2026, 6, 1))
    sub = await ordering.order(
        await admin_actor(),
        org["id"],
        service="business_internet",
        variant=variant,
        quantity=quantity,
        start=D(2026, 6, 1),
    )
    return org, sub, await bearer_for(signer["person"], org["id"])


def url(org: dict, sub: dict) -> str:
    return f"/api/v1/organisations/{org['id']}/subscriptions/{sub['id']}/changes"


async def current(sub: dict) -> dict:
    row = await Subscription.select().where(Subscription.id == sub["id"]).first()
    assert row is not None
    return row


async def test_an_upgrade_takes_effect_today_and_its_fee_is_charged_today(client, at):
    # rule SUB-2
    org, sub, headers = await internet()
    answer = await client.post(url(org, sub), json={"kind": "upgrade", "variant": "fibre"}, headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "applied" and body["effective_on"] == "2027-01-10"
    assert body["fees"] == [{"kind": "upgrade", "amount_cents": 7500}]
    row = await current(sub)
    assert row["price_cents"] == 8500 and row["quantity"] == 1
    charge = await Charge.select().where(Charge.source_type == "subscription_change").first()
    assert charge["amount_cents"] == 7500 and charge["chargeable_on"] == D(2027, 1, 10)
    listed = await client.get(f"/api/v1/organisations/{org['id']}/subscriptions", headers=headers)
    assert listed.json()[0]["variant"] == "fibre" and listed.json()[0]["monthly_amount_cents"] == 8500


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        (D(2027, 1, 10), D(2027, 4, 10)),
        (D(2027, 1, 31), D(2027, 4, 30)),  # the 31st: the last day of a shorter month
        (D(2027, 11, 30), D(2028, 2, 29)),  # the end of a month, into a leap February
        (D(2028, 2, 29), D(2028, 5, 29)),  # given on 29 February
        (D(2027, 12, 31), D(2028, 3, 31)),
    ],
)
async def test_a_cancellation_takes_effect_when_the_three_months_notice_ends(client, at, given, effective):
    # rule SUB-3: the day given plus three calendar months
    org, sub, headers = await internet()
    at.day(given)
    answer = await client.post(url(org, sub), json={"kind": "cancel"}, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "scheduled" and answer.json()["effective_on"] == effective.isoformat()
    row = await current(sub)
    assert row["ends_on"] == effective and row["notice_given_on"] == given
    # in force until the day before, not on the day itself, whether or not the job ran
    assert await subscriptions_service.has_subscription(
        org["id"], "business_internet", on=effective - dt.timedelta(days=1)
    )
    assert not await subscriptions_service.has_subscription(org["id"], "business_internet", on=effective)


async def test_a_downgrade_waits_for_the_start_of_its_day_in_the_organisations_time_zone(client, at):
    # rule SUB-3: the fee is charged when the downgrade takes effect
    org, sub, headers = await internet()
    at.day(D(2027, 1, 31))
    answer = await client.post(url(org, sub), json={"kind": "downgrade", "variant": "adsl"}, headers=headers)
    assert answer.status_code == 201 and answer.json()["effective_on"] == "2027-04-30"
    assert await Charge.count() == 0 and (await current(sub))["price_cents"] == 5500

    at.set(dt.datetime(2027, 4, 29, 21, 59, tzinfo=dt.UTC))  # 23:59 in Amsterdam (summer time)
    assert await changes.apply_due() == 0
    at.set(dt.datetime(2027, 4, 29, 22, 0, tzinfo=dt.UTC))  # midnight in Amsterdam
    assert await changes.apply_due() == 1
    row = await current(sub)
    assert row["price_cents"] == 3500 and row["status"] == "active"
    assert [c["amount_cents"] for c in await Charge.select()] == [7200]
    assert await changes.apply_due() == 0  # running it again changes nothing
    assert await Charge.count() == 1
    applied = await SubscriptionChange.select().where(SubscriptionChange.status == "applied")
    assert len(applied) == 1
    assert await AuditEntry.count().where(AuditEntry.action == "subscriptions.change_applied") == 1


async def test_a_change_whose_day_passed_while_the_job_was_down_takes_effect_on_the_next_run_once(client, at):
    org, sub, headers = await internet()
    await client.post(url(org, sub), json={"kind": "cancel"}, headers=headers)
    at.day(D(2027, 6, 15))  # two months after its day, the first run
    results = await asyncio.gather(changes.apply_due(), changes.apply_due())
    assert sorted(results) == [0, 1]
    row = await current(sub)
    assert row["status"] == "ended" and row["ends_on"] == D(2027, 4, 10)
    applied_mails = [
        m for m in await OutboxMessage.select(OutboxMessage.dedupe_key) if ":applied:" in m["dedupe_key"]
    ]
    assert len(applied_mails) == 1  # one contact person, told once


async def test_a_downgrade_that_raises_the_amount_is_refused_naming_kind(client, at):
    org, sub, headers = await internet()
    wrong = await client.post(url(org, sub), json={"kind": "downgrade", "variant": "fibre"}, headers=headers)
    assert wrong.status_code == 422 and {e["field"] for e in wrong.json()["errors"]} == {"kind"}
    wrong = await client.post(url(org, sub), json={"kind": "upgrade", "variant": "adsl"}, headers=headers)
    assert wrong.status_code == 422 and {e["field"] for e in wrong.json()["errors"]} == {"kind"}
    more_units = await client.post(url(org, sub), json={"kind": "upgrade", "quantity": 3}, headers=headers)
    assert more_units.status_code == 201 and more_units.json()["status"] == "applied"
    assert await SubscriptionChange.count() == 1


async def test_a_preview_says_what_would_happen_and_stores_nothing(client, at):
    org, sub, headers = await internet()
    answer = await client.post(
        url(org, sub), json={"kind": "downgrade", "variant": "adsl", "preview": True}, headers=headers
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] is None and body["status"] == "scheduled" and body["effective_on"] == "2027-04-10"
    assert body["monthly_amount_before_cents"] == 5500 and body["monthly_amount_after_cents"] == 3500
    assert body["fees"] == [{"kind": "downgrade", "amount_cents": 7200}]
    assert await SubscriptionChange.count() == 0 and await OutboxMessage.count() == 1  # the order's mail only


async def test_one_change_waits_at_a_time_and_a_new_one_replaces_it_only_when_confirmed(client, at):
    org, sub, headers = await internet()
    cancel = await client.post(url(org, sub), json={"kind": "cancel"}, headers=headers)
    assert cancel.status_code == 201
    second = await client.post(url(org, sub), json={"kind": "downgrade", "variant": "adsl"}, headers=headers)
    assert second.status_code == 409 and "replaces" in second.json()["detail"]
    preview = await client.post(
        url(org, sub), json={"kind": "downgrade", "variant": "adsl", "preview": True}, headers=headers
    )
    assert preview.json()["replaces"] == cancel.json()["id"]
    replaced = await client.post(
        url(org, sub), json={"kind": "downgrade", "variant": "adsl", "replace": True}, headers=headers
    )
    assert replaced.status_code == 201
    statuses = {c["kind"]: c["status"] for c in (await client.get(url(org, sub), headers=headers)).json()}
    assert statuses == {"cancel": "replaced", "downgrade": "scheduled"}
    assert (await current(sub))["ends_on"] is None  # the cancellation no longer ends it


async def test_a_scheduled_change_can_be_withdrawn_until_it_takes_effect(client, at):
    org, sub, headers = await internet()
    cancel = (await client.post(url(org, sub), json={"kind": "cancel"}, headers=headers)).json()
    withdrawn = await client.delete(f"{url(org, sub)}/{cancel['id']}", headers=headers)
    assert withdrawn.status_code == 204
    row = await current(sub)
    assert row["ends_on"] is None and row["notice_given_on"] is None
    again = await client.delete(f"{url(org, sub)}/{cancel['id']}", headers=headers)
    assert again.status_code == 409

    upgrade = (
        await client.post(url(org, sub), json={"kind": "upgrade", "quantity": 2}, headers=headers)
    ).json()
    applied = await client.delete(f"{url(org, sub)}/{upgrade['id']}", headers=headers)
    assert applied.status_code == 409 and "taken effect" in applied.json()["detail"]
    assert (await current(sub))["quantity"] == 2


async def test_two_changes_in_one_day_both_take_effect_in_order(client, at):
    org, sub, headers = await internet()
    await client.post(url(org, sub), json={"kind": "upgrade", "quantity": 2}, headers=headers)
    await client.post(url(org, sub), json={"kind": "upgrade", "variant": "fibre"}, headers=headers)
    row = await current(sub)
    assert row["quantity"] == 2 and row["price_cents"] == 8500
    assert [c["amount_cents"] for c in await Charge.select().order_by(Charge.id)] == [7500, 7500]


async def test_a_move_goes_where_the_service_is_available_with_its_fee(client, at):
    # rule SUB-5
    org, sub, headers = await internet()
    nowhere = await client.post(
        url(org, sub),
        json={
            "kind": "move",
            "address": {"street": "Dorpsstraat 1", "postcode": "8011 AA", "city": "Zwolle"},
        },
        headers=headers,
    )
    assert nowhere.status_code == 422 and "not available" in nowhere.text
    moved = await client.post(
        url(org, sub),
        json={"kind": "move", "address": {"street": "Kade 3", "postcode": "1011 AB", "city": "Amsterdam"}},
        headers=headers,
    )
    assert moved.status_code == 201 and moved.json()["fees"] == [{"kind": "move", "amount_cents": 15000}]
    row = await current(sub)
    assert (row["street"], row["postcode"], row["city"]) == ("Kade 3", "1011 AB", "Amsterdam")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "upgrade", "quantity": 0}, 422),
        ({"kind": "upgrade", "quantity": 10**9}, 422),
        ({"kind": "upgrade", "variant": "nope"}, 422),
        ({"kind": "upgrade"}, 422),  # nothing would change
        ({"kind": "teleport"}, 400),
        ({"kind": "move"}, 422),
    ],
)
async def test_bad_changes_answer_4xx_and_change_nothing(client, at, body, status):
    org, sub, headers = await internet()
    answer = await client.post(url(org, sub), json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert await SubscriptionChange.count() == 0 and await Charge.count() == 0


async def test_an_ended_subscription_and_another_organisations_cannot_be_changed(client, at):
    org, sub, headers = await internet()
    await client.post(url(org, sub), json={"kind": "cancel"}, headers=headers)
    at.day(D(2027, 4, 10))
    await changes.apply_due()
    ended = await client.post(url(org, sub), json={"kind": "upgrade", "quantity": 2}, headers=headers)
    assert ended.status_code == 409
    other, other_sub, other_headers = await internet()
    answer = await client.post(url(org, other_sub), json={"kind": "cancel"}, headers=headers)
    assert answer.status_code == 404
    answer = await client.post(url(other, other_sub), json={"kind": "cancel"}, headers=headers)
    assert answer.status_code == 404
    assert await SubscriptionChange.count() == 1
    del other_headers


async def test_an_end_user_may_not_change_a_subscription(client, at):
    org, sub, _headers = await internet()
    user = await factories.member(org)
    answer = await client.post(
        url(org, sub), json={"kind": "cancel"}, headers=await bearer_for(user["person"], org["id"])
    )
    assert answer.status_code == 403 and await SubscriptionChange.count() == 0
