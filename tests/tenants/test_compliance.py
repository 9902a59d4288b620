"""Checks at every sign-in and on every page, legacy terms ending, the company-form check
(rules AG-2..AG-8)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from src.core.errors import Conflict, InputError
from src.core.tables import AuditEntry, OutboxMessage
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.tenants import tasks
from src.tenants.services import agreement_documents, agreements, entitlements, legacy_terms
from src.tenants.tables import LegacyTermsNotice
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of, vendor_today

TODAY = vendor_today()


async def admin_actor() -> Any:
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def actor_of(member: dict[str, Any]) -> Any:
    actor = await build_actor(member["person"], member["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def announce(
    service: str = "webcert", announced_on: dt.date | None = None, months: int = 6
) -> dict[str, Any]:
    return await legacy_terms.announce_legacy_end(
        await admin_actor(), service_code=service, announced_on=announced_on or TODAY, notice_months=months
    )


async def sign_agreement(org: dict[str, Any]) -> None:
    await agreement_documents.publish_document(
        await admin_actor(),
        kind="general_terms",
        titles={"nl": "AV", "sv": "AV", "en": "GT"},
        texts={"nl": "t", "sv": "t", "en": "t"},
        effective_on=TODAY - dt.timedelta(days=400),
        accept_by=TODAY + dt.timedelta(days=400),
    ) if not await agreement_documents.latest_documents() else None
    signer = await factories.member(org, role="contact_person", may_sign_agreements=True)
    await agreements.sign(await actor_of(signer), org["id"])


async def subscribe(org: dict[str, Any], service: str = "webcert", variant: str = "standalone") -> None:
    await ordering.order(
        await admin_actor(), org["id"], service=service, variant=variant, start=TODAY - dt.timedelta(days=1)
    )


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def test_the_announcement_sets_the_deadline_after_six_months_by_default():
    # rule AG-3
    notice = await announce(announced_on=dt.date(2021, 9, 28))
    assert notice["ends_on"] == dt.date(2022, 3, 28)
    assert await AuditEntry.exists().where(AuditEntry.action == "compliance.legacy_end_announced")
    await announce()
    with pytest.raises(Conflict):
        await announce()  # one in force per service
    with pytest.raises(InputError) as exc:
        await legacy_terms.announce_legacy_end(await admin_actor(), service_code="nope", notice_months=3)
    assert set(exc.value.errors) == {"service", "ends_on"}


async def test_every_page_shows_a_banner_saying_what_is_missing_and_what_to_do(client):
    # rule AG-5, rule AG-2
    await announce()
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    for _ in range(2):
        banners = text_of((await client.get("/profile")).text)
        assert "no customer agreement and no subscription for Webcert" in banners
        assert "ask your head of operations or local administrator" in banners
        assert "reading and exporting what your organisation has stays possible" in banners


async def test_at_every_sign_in_the_page_shows_the_banner_itself_without_javascript(client):
    # rule AG-5: "at every sign-in"; the banner comes with the page, not loaded by a script
    # afterwards (which shifted the page and needed JavaScript)
    await announce()
    org = await factories.organisation()
    user = await factories.member(org)
    for _ in range(2):
        await sign_in_person(client, user["person_row"])
        first = await client.get("/profile")
        assert "no customer agreement and no subscription for Webcert" in text_of(first.text)
        assert 'hx-trigger="load"' not in first.text
        await client.post_form("/signout", {})


async def test_an_htmx_swap_of_part_of_a_page_does_not_repeat_the_banners(client):
    await announce()
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    partial = await client.get("/profile", headers={"HX-Request": "true"})
    assert "no customer agreement and no subscription for Webcert" not in text_of(partial.text)


async def test_an_organisation_with_agreement_but_no_subscription_is_pointed_to_ordering(client):
    # rule AG-8
    await announce()
    org = await factories.organisation()
    await sign_agreement(org)
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    answer = await client.get("/banners", headers={"HX-Request": "true"})
    text = text_of(answer.text)
    assert "has a customer agreement but no subscription for Webcert" in text
    assert 'href="/organisation/subscriptions"' in answer.text
    page = await client.get("/organisation/subscriptions")
    assert page.status_code == 200 and "Order a service" in text_of(page.text)
    assert 'action="/organisation/subscriptions/order/review"' in page.text


async def test_no_banner_with_agreement_and_subscription_or_before_the_announcement(client):
    # rule AG-1, rule AG-5
    await announce(announced_on=TODAY + dt.timedelta(days=5))
    org = await factories.organisation()
    user = await factories.member(org)
    assert await entitlements.banners_for(await actor_of(user)) == []  # not yet announced
    await LegacyTermsNotice.delete(force=True)
    await announce()
    assert len(await entitlements.banners_for(await actor_of(user))) == 1
    await sign_agreement(org)
    await subscribe(org)
    assert await entitlements.banners_for(await actor_of(user)) == []


async def test_after_the_deadline_the_service_door_refuses_new_records_and_keeps_reading(client):
    # rule AG-6: the door shows what the connected service is told (src/tenants/services/entitlements.py)
    await announce(announced_on=TODAY - dt.timedelta(days=200), months=6)
    org = await factories.organisation()
    user = await factories.member(org, await factories.person(card_id="NL-CARD-0601"))
    await sign_in_person(client, user["person_row"], provider="card")
    door = await client.get("/services/webcert")
    assert door.status_code == 200
    text = text_of(door.text)
    assert (
        "You can read and export your organisation's records in this service, but not create new ones" in text
    )
    assert "you can no longer create new records in Webcert" in text
    banners = await entitlements.banners_for(await actor_of(user))
    assert banners[0]["level"] == "error" and banners[0]["text"].startswith("Since")
    await sign_agreement(org)
    await subscribe(org)
    assert "You may use this service." in text_of((await client.get("/services/webcert")).text)


async def test_before_the_deadline_records_can_still_be_created(client):
    # rule AG-5, rule AG-6
    await announce()
    org = await factories.organisation()
    user = await factories.member(org, await factories.person(card_id="NL-CARD-0602"))
    await sign_in_person(client, user["person_row"], provider="card")
    door = await client.get("/services/webcert")
    assert door.status_code == 200
    assert "You can use this service until" in text_of(door.text)


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    payload = row["payload"]
    return json.loads(payload) if isinstance(payload, str) else payload


async def test_contact_persons_get_each_reminder_once_before_the_deadline():
    # rule AG-3
    notice = await announce(announced_on=TODAY, months=6)
    lacking = await factories.organisation()
    contact = await factories.member(lacking, role="contact_person", email="cp@lacking.example")
    await factories.member(lacking, email="user@lacking.example")  # end users get no reminder
    complete = await factories.organisation()
    await factories.member(complete, role="contact_person", email="cp@complete.example")
    await sign_agreement(complete)
    await subscribe(complete)
    assert await tasks.send_legacy_reminders(TODAY) >= 1
    assert await tasks.send_legacy_reminders(TODAY) == 0  # each reminder once
    rows = await OutboxMessage.select().where(OutboxMessage.dedupe_key.like("legacy-reminder:%"))
    recipients = {r for row in rows for r in _payload(row)["to"]}
    assert "cp@lacking.example" in recipients
    assert "user@lacking.example" not in recipients
    assert not any(r.endswith("@complete.example") for r in recipients)
    near = notice["ends_on"] - dt.timedelta(days=5)
    assert await tasks.send_legacy_reminders(near) >= 1  # the last reminder, a new stage
    assert await tasks.send_legacy_reminders(near) == 0
    assert await tasks.send_legacy_reminders(notice["ends_on"]) == 0  # none after the deadline
    keys = {r["dedupe_key"] for r in await OutboxMessage.select(OutboxMessage.dedupe_key)}
    assert f"legacy-reminder:{notice['id']}:{contact['id']}:d7" in keys


async def test_eid_sign_in_for_an_aktiebolag_is_refused_for_webcert_with_the_reason(client):
    # rule AG-4
    org = await factories.organisation(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"], provider="eid")
    answer = await client.get("/services/webcert")
    assert answer.status_code == 403
    text = text_of(answer.text)
    assert "only to sole proprietorships" in text and "Aktiebolag" in text
    portal = await client.get("/services/procurement_portal")  # no such rule there, but rights per module
    assert portal.status_code == 403 and "only to sole proprietorships" not in text_of(portal.text)
    assert "You have no rights for any module of Care procurement portal" in text_of(portal.text)


async def test_smart_card_sign_in_is_not_affected_by_the_company_form(client):
    # rule AG-4
    org = await factories.organisation(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    who = await factories.person(card_id="SE2321000016-1234")
    user = await factories.member(org, who)
    await sign_in_person(client, user["person_row"], provider="card")
    assert (await client.get("/services/webcert")).status_code == 200


async def test_eid_sign_in_for_a_sole_proprietorship_may_use_webcert(client):
    # rule AG-4
    org = await factories.organisation(
        country="SE",
        legal_form="enskild_firma",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"], provider="eid")
    answer = await client.get("/services/webcert")
    assert answer.status_code == 200
    assert "only to sole proprietorships" not in text_of(answer.text)


async def test_a_vendor_admin_announces_through_the_page(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    bad = await client.post_form("/admin/legacy-terms", {"service": "", "announced_on": "", "ends_on": ""})
    assert bad.status_code == 422 and "Choose a service of the catalogue." in text_of(bad.text)
    done = await client.post_form(
        "/admin/legacy-terms",
        {"service": "webcert", "announced_on": "2021-09-28", "ends_on": "2022-03-28"},
        follow_redirects=True,
    )
    assert "the legacy terms end on 28 Mar 2022" in text_of(done.text)
