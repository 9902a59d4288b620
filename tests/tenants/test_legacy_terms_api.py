"""Announcing, correcting and withdrawing the end of a service's legacy terms through the JSON API
(rule AG-3: six months' notice between the announcement and the end), and what the organisations
concerned are told."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from src.core.tables import AuditEntry, OutboxMessage
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.subscriptions.catalogue import seed_catalogue
from src.tenants import tasks
from src.tenants.services import entitlements, legacy_terms
from src.tenants.services.legacy_terms import CHANGE_ACTOR, add_months
from src.tenants.tables import LegacyTermsNotice
from src.workers.broker import ASYNC_IMPLEMENTATIONS
from tests import factories
from tests.support import vendor_today

URL = "/api/v1/legacy-terms"
TODAY = vendor_today()


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def bearer(person_id: int, organisation_id: int | None = None) -> dict[str, str]:
    actor = await build_actor(person_id, organisation_id, "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def admin() -> dict[str, str]:
    return await bearer((await factories.vendor_admin())["id"])


def fields_of(answer: Any) -> set[str]:
    return {error["field"] for error in answer.json().get("errors", [])}


def body(announced_on: dt.date, ends_on: dt.date, service: str = "webcert") -> dict[str, str]:
    return {"service": service, "announced_on": announced_on.isoformat(), "ends_on": ends_on.isoformat()}


async def announce(
    client: Any, headers: dict[str, str], announced_on: dt.date = TODAY, months: int = 6
) -> Any:
    answer = await client.post(
        URL, json=body(announced_on, add_months(announced_on, months)), headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def actions() -> list[str]:
    return [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]


# --- announcing ---------------------------------------------------------------------------------


async def test_a_vendor_admin_announces_with_six_months_notice(client, admin):
    # rule AG-3
    answer = await client.post(URL, json=body(TODAY, add_months(TODAY, 6)), headers=admin)
    assert answer.status_code == 201
    created = answer.json()
    assert created["id"] > 0 and created["service"] == "webcert" and created["service_name"] == "Webcert"
    assert created["announced_on"] == TODAY.isoformat()
    assert created["ends_on"] == add_months(TODAY, 6).isoformat()
    assert created["state"] == "in_force" and created["withdrawn_at"] is None
    listed = (await client.get(URL, headers=admin)).json()
    assert [n["id"] for n in listed] == [created["id"]]
    entry = await AuditEntry.select().where(AuditEntry.action == "compliance.legacy_end_announced").first()
    assert entry is not None and entry["object_id"] == str(created["id"])


async def test_less_than_six_months_notice_is_refused_naming_ends_on(client, admin):
    # rule AG-3: the notice cannot be skipped
    short = await client.post(
        URL, json=body(TODAY, add_months(TODAY, 6) - dt.timedelta(days=1)), headers=admin
    )
    assert short.status_code == 422 and fields_of(short) == {"ends_on"}
    assert "at the earliest 6 months after the announcement" in short.json()["errors"][0]["message"]
    ancient = await client.post(URL, json=body(TODAY, dt.date(1900, 1, 1)), headers=admin)
    assert ancient.status_code == 422 and fields_of(ancient) == {"ends_on"}
    long_ago = await client.post(URL, json=body(dt.date(1900, 1, 1), add_months(TODAY, 6)), headers=admin)
    assert long_ago.status_code == 422 and fields_of(long_ago) == {"announced_on"}
    garbled = await client.post(URL, json={"service": "webcert", "announced_on": "soon"}, headers=admin)
    assert garbled.status_code == 422 and fields_of(garbled) == {"announced_on", "ends_on"}
    assert (await client.get(URL, headers=admin)).json() == []
    assert "compliance.legacy_end_announced" not in await actions()


async def test_an_unknown_service_is_refused_naming_service(client, admin):
    answer = await client.post(URL, json=body(TODAY, add_months(TODAY, 6), service="nope"), headers=admin)
    assert answer.status_code == 422 and fields_of(answer) == {"service"}


async def test_a_letter_sent_earlier_is_recorded_after_the_fact_with_its_notice(client, admin):
    # rule AG-3: recorded afterwards, the notice between the two dates still holds
    letter = TODAY - dt.timedelta(days=60)
    too_short = await client.post(URL, json=body(letter, add_months(TODAY, 4)), headers=admin)
    assert too_short.status_code == 422 and fields_of(too_short) == {"ends_on"}
    recorded = await client.post(URL, json=body(letter, add_months(letter, 6)), headers=admin)
    assert recorded.status_code == 201
    assert recorded.json()["announced_on"] == letter.isoformat()


async def test_a_second_announcement_for_a_service_with_one_in_force_is_a_conflict(client, admin):
    first = await announce(client, admin)
    second = await client.post(URL, json=body(TODAY, add_months(TODAY, 9)), headers=admin)
    assert second.status_code == 409
    assert "already announced" in second.json()["detail"]
    other_service = await client.post(
        URL, json=body(TODAY, add_months(TODAY, 6), service="procurement_portal"), headers=admin
    )
    assert other_service.status_code == 201  # one in force per service
    assert (await client.delete(f"{URL}/{first['id']}", headers=admin)).status_code == 204
    again = await client.post(URL, json=body(TODAY, add_months(TODAY, 9)), headers=admin)
    assert again.status_code == 201  # a withdrawn one is no longer in force


async def test_one_whose_deadline_has_passed_is_no_longer_in_force(client, admin):
    await announce(client, admin, announced_on=TODAY - dt.timedelta(days=400))
    assert (await client.post(URL, json=body(TODAY, add_months(TODAY, 6)), headers=admin)).status_code == 201


# --- correcting and withdrawing -----------------------------------------------------------------


async def test_a_correction_keeps_the_notice_and_is_audited(client, admin):
    # rule AG-3
    notice = await announce(client, admin)
    url = f"{URL}/{notice['id']}"
    short = await client.patch(url, json={"ends_on": add_months(TODAY, 5).isoformat()}, headers=admin)
    assert short.status_code == 422 and fields_of(short) == {"ends_on"}
    later = add_months(TODAY, 8)
    corrected = await client.patch(url, json={"ends_on": later.isoformat()}, headers=admin)
    assert corrected.status_code == 200
    assert corrected.json()["ends_on"] == later.isoformat() and corrected.json()["corrections"] == 1
    assert corrected.json()["announced_on"] == TODAY.isoformat()
    moved = await client.patch(url, json={"announced_on": add_months(TODAY, 3).isoformat()}, headers=admin)
    assert moved.status_code == 422 and fields_of(moved) == {"ends_on"}  # 5 months left between them
    entry = await AuditEntry.select().where(AuditEntry.action == "compliance.legacy_end_corrected").first()
    assert entry is not None
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (entry["before"], entry["after"]))
    assert before == {"deadline": add_months(TODAY, 6).isoformat()}
    assert after == {"deadline": later.isoformat()}
    assert (await client.get(url, headers=admin)).json()["ends_on"] == later.isoformat()


async def test_withdrawing_before_the_deadline_keeps_it_as_history(client, admin):
    notice = await announce(client, admin)
    url = f"{URL}/{notice['id']}"
    assert (await client.delete(url, headers=admin)).status_code == 204
    listed = (await client.get(URL, headers=admin)).json()
    assert [(n["id"], n["state"]) for n in listed] == [(notice["id"], "withdrawn")]
    assert listed[0]["withdrawn_at"] is not None
    again = await client.delete(url, headers=admin)
    assert again.status_code == 409 and "withdrawn" in again.json()["detail"]
    change = await client.patch(url, json={"ends_on": add_months(TODAY, 9).isoformat()}, headers=admin)
    assert change.status_code == 409
    assert "compliance.legacy_end_withdrawn" in await actions()


async def test_after_its_deadline_an_announcement_can_no_longer_be_withdrawn_or_corrected(client, admin):
    ended = await announce(client, admin, announced_on=TODAY - dt.timedelta(days=200))
    url = f"{URL}/{ended['id']}"
    assert ended["state"] == "ended"
    withdrawn = await client.delete(url, headers=admin)
    assert withdrawn.status_code == 409 and "has come" in withdrawn.json()["detail"]
    change = await client.patch(url, json={"ends_on": add_months(TODAY, 6).isoformat()}, headers=admin)
    assert change.status_code == 409
    assert (await client.get(url, headers=admin)).json()["state"] == "ended"


async def test_an_unknown_announcement_is_404(client, admin):
    for method, kwargs in (("get", {}), ("patch", {"json": {}}), ("delete", {})):
        answer = await getattr(client, method)(f"{URL}/999999", headers=admin, **kwargs)
        assert answer.status_code == 404


async def test_a_withdrawn_announcement_no_longer_shows_banners_or_sends_reminders(client, admin):
    # rules AG-3, AG-5
    notice = await announce(client, admin)
    org = await factories.organisation()
    user = await factories.member(org)
    await factories.member(org, role="contact_person", email="cp@lacking.example")
    actor = await build_actor(user["person"], org["id"], "127.0.0.1")
    assert actor is not None
    assert len(await entitlements.banners_for(actor)) == 1
    await client.delete(f"{URL}/{notice['id']}", headers=admin)
    assert await entitlements.banners_for(actor) == []
    assert await tasks.send_legacy_reminders(TODAY) == 0


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["contact_person", "end_user"])
async def test_people_of_an_organisation_may_not_read_or_change_announcements(client, admin, role):
    notice = await announce(client, admin)
    org = await factories.organisation()
    member = await factories.member(org, role=role)
    headers = await bearer(member["person"], org["id"])
    url = f"{URL}/{notice['id']}"
    assert (await client.get(URL, headers=headers)).status_code == 403
    assert (
        await client.post(URL, json=body(TODAY, add_months(TODAY, 7)), headers=headers)
    ).status_code == 403
    assert (await client.patch(url, json={"ends_on": "2040-01-01"}, headers=headers)).status_code == 403
    assert (await client.delete(url, headers=headers)).status_code == 403
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(url, headers=admin)).json()["state"] == "in_force"


async def test_the_api_is_documented(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"][URL])
    assert {"get", "patch", "delete"} <= set(schema["paths"][URL + "/{notice_id}"])


# --- telling the organisations concerned --------------------------------------------------------


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    payload = row["payload"]
    return json.loads(payload) if isinstance(payload, str) else payload


async def run_change_messages() -> None:
    """What a worker does with the queued change messages."""
    for row in await OutboxMessage.select().where(OutboxMessage.actor_name == CHANGE_ACTOR):
        await ASYNC_IMPLEMENTATIONS[CHANGE_ACTOR](**_payload(row), dedupe_key=row["dedupe_key"])


async def mails() -> dict[str, list[dict[str, Any]]]:
    by_recipient: dict[str, list[dict[str, Any]]] = {}
    for row in await OutboxMessage.select().where(OutboxMessage.actor_name == "send_mail"):
        payload = _payload(row)
        if row["dedupe_key"].startswith("legacy-change:"):
            for to in payload["to"]:
                by_recipient.setdefault(to, []).append(payload)
    return by_recipient


async def test_the_organisations_concerned_are_told_of_a_correction_once_in_their_language(client, admin):
    # rule AG-3
    notice = await announce(client, admin)
    dutch = await factories.organisation(country="NL")
    await factories.member(dutch, role="contact_person", email="cp@nl.example")
    await factories.member(dutch, email="user@nl.example")  # end users are told by the banners
    swedish = await factories.organisation(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    await factories.member(swedish, role="contact_person", email="cp@se.example")
    later = add_months(TODAY, 8)
    await client.patch(f"{URL}/{notice['id']}", json={"ends_on": later.isoformat()}, headers=admin)
    await client.patch(
        f"{URL}/{notice['id']}", json={"ends_on": later.isoformat()}, headers=admin
    )  # no change
    assert await OutboxMessage.count().where(OutboxMessage.actor_name == CHANGE_ACTOR) == 1
    await run_change_messages()
    await run_change_messages()  # a second run (a retry) sends nothing new
    told = await mails()
    assert set(told) == {"cp@nl.example", "cp@se.example"}
    assert all(len(m) == 1 for m in told.values())
    assert told["cp@nl.example"][0]["subject"].startswith("Gecorrigeerd")
    assert told["cp@se.example"][0]["subject"].startswith("Rättat")


async def test_the_organisations_concerned_are_told_of_a_withdrawal_once(client, admin):
    notice = await announce(client, admin)
    org = await factories.organisation()
    await factories.member(org, role="contact_person", email="cp@lacking.example")
    await client.delete(f"{URL}/{notice['id']}", headers=admin)
    await run_change_messages()
    await run_change_messages()
    told = await mails()
    assert list(told) == ["cp@lacking.example"] and len(told["cp@lacking.example"]) == 1
    assert "Ingetrokken" in told["cp@lacking.example"][0]["subject"]


async def test_nobody_is_told_of_a_change_to_an_announcement_not_yet_made(client, admin):
    later = await announce(client, admin, announced_on=TODAY + dt.timedelta(days=10))
    assert later["state"] == "scheduled"
    org = await factories.organisation()
    await factories.member(org, role="contact_person", email="cp@lacking.example")
    await client.patch(
        f"{URL}/{later['id']}", json={"ends_on": add_months(TODAY, 9).isoformat()}, headers=admin
    )
    await client.delete(f"{URL}/{later['id']}", headers=admin)
    assert await OutboxMessage.count().where(OutboxMessage.actor_name == CHANGE_ACTOR) == 0


async def test_the_reminders_count_down_to_the_corrected_deadline(client, admin):
    # rule AG-3: a later deadline gets its reminders again; the correction's mail is the first
    letter = TODAY - dt.timedelta(days=150)
    notice = await announce(client, admin, announced_on=letter)
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person", email="cp@lacking.example")
    assert await tasks.send_legacy_reminders(TODAY) == 1  # about a month left
    later = add_months(letter, 9)
    await client.patch(f"{URL}/{notice['id']}", json={"ends_on": later.isoformat()}, headers=admin)
    assert await tasks.send_legacy_reminders(TODAY) == 0  # told by the correction's mail
    near = later - dt.timedelta(days=20)
    assert await tasks.send_legacy_reminders(near) == 1
    assert await tasks.send_legacy_reminders(near) == 0
    keys = {r["dedupe_key"] for r in await OutboxMessage.select(OutboxMessage.dedupe_key)}
    assert f"legacy-reminder:{notice['id']}:{contact['id']}:d30:r1" in keys


async def test_two_announcements_at_once_make_one(admin):
    # one in force per service, also when two vendor admins announce at the same moment
    actor = await build_actor((await factories.vendor_admin())["id"], None, "127.0.0.1")
    assert actor is not None
    ends = [add_months(TODAY, 6), add_months(TODAY, 7)]
    results = await asyncio.gather(
        *(legacy_terms.announce(actor, service_code="webcert", announced_on=TODAY, ends_on=e) for e in ends),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert await LegacyTermsNotice.count() == 1
