"""Subscriptions of an organisation: vendor admins add and end them (API and pages)."""

from __future__ import annotations

import datetime as dt

from src.core.tables import AuditEntry
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.subscriptions.services import subscriptions as services
from src.subscriptions.tables import Subscription
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_headers, bearer_for
from tests.support import text_of

PROBLEM = "application/problem+json"


def url(org_id: int) -> str:
    return f"/api/v1/organisations/{org_id}/subscriptions"


async def test_a_vendor_admin_subscribes_an_organisation_through_the_api(client):
    # rule AG-1 (the subscription record), rule SUB-1
    await seed_catalogue()
    org = await factories.organisation()
    _admin, headers = await admin_headers()
    answer = await client.post(
        url(org["id"]),
        json={"service": "webcert", "variant": "standalone", "quantity": 2, "start": "2026-01-01"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["service"] == "webcert" and body["quantity"] == 2 and body["status"] == "active"
    assert body["in_force"] is True and body["price_cents"] == 9900
    assert await services.has_subscription(org["id"], "webcert")
    assert await AuditEntry.exists().where(AuditEntry.action == "subscriptions.subscription_added")
    member = await factories.member(org)
    listed = await client.get(url(org["id"]), headers=await bearer_for(member["person"], org["id"]))
    assert listed.status_code == 200 and [s["variant"] for s in listed.json()] == ["standalone"]


async def test_another_organisations_subscriptions_answer_404(client):
    await seed_catalogue()
    org = await factories.organisation()
    other = await factories.organisation()
    member = await factories.member(org)
    answer = await client.get(url(other["id"]), headers=await bearer_for(member["person"], org["id"]))
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM)


async def test_bad_input_names_the_field_and_stores_nothing(client):
    await seed_catalogue()
    org = await factories.organisation()
    _admin, headers = await admin_headers()
    for body, field in (
        ({"service": "nope", "variant": "standalone"}, "service"),
        ({"service": "webcert", "variant": "fibre"}, "variant"),
        ({"service": "webcert", "variant": "standalone", "quantity": 0}, "quantity"),
    ):
        answer = await client.post(url(org["id"]), json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert field in {e["field"] for e in answer.json()["errors"]}
    answer = await client.post(url(org["id"]), json={"service": "webcert"}, headers=headers)
    assert answer.status_code in (400, 422)
    assert await Subscription.count() == 0
    missing = await client.post(
        url(999999), json={"service": "webcert", "variant": "standalone"}, headers=headers
    )
    assert missing.status_code == 404


async def test_a_second_subscription_to_the_same_variant_is_refused(client):
    await seed_catalogue()
    org = await factories.organisation()
    _admin, headers = await admin_headers()
    body = {"service": "cloud_office", "variant": "mail", "quantity": 3}
    assert (await client.post(url(org["id"]), json=body, headers=headers)).status_code == 201
    again = await client.post(url(org["id"]), json=body, headers=headers)
    assert again.status_code == 422
    assert await Subscription.count() == 1


async def test_a_subscription_ended_on_a_later_date_counts_until_then():
    # rule AG-1: the subscription counts from its start until its end
    await seed_catalogue()
    org = await factories.organisation()
    admin = await factories.vendor_admin()
    from src.identity.auth import build_actor

    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    row = await ordering.order(
        actor, org["id"], service="webcert", variant="standalone", start=dt.date(2026, 1, 1)
    )
    ended = await services.end_subscription(actor, org["id"], row["id"], dt.date(2026, 3, 1))
    assert ended["status"] == "ended"
    assert await services.has_subscription(org["id"], "webcert", on=dt.date(2026, 2, 28))
    assert not await services.has_subscription(org["id"], "webcert", on=dt.date(2026, 3, 1))
    assert not await services.has_subscription(org["id"], "webcert", on=dt.date(2025, 12, 31))


async def test_a_vendor_admin_adds_and_ends_a_subscription_on_the_organisation_page(client):
    await seed_catalogue()
    org = await factories.organisation(name="Huisartsen Oost B.V.")
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    detail = await client.get(f"/admin/organisations/{org['id']}")
    assert f"/admin/organisations/{org['id']}/subscriptions" in detail.text
    base = f"/admin/organisations/{org['id']}/subscriptions"
    bad = await client.post_form(
        base, {"offer": "webcert/standalone", "quantity": "zero", "start": "2026-01-01"}
    )
    assert bad.status_code == 422
    assert "Enter a whole number." in text_of(bad.text)
    assert await Subscription.count() == 0
    added = await client.post_form(
        base, {"offer": "webcert/standalone", "quantity": "1", "start": "2026-01-01"}, follow_redirects=True
    )
    assert added.status_code == 200
    assert "Webcert standalone" in text_of(added.text) and "In force" in text_of(added.text)
    sub = await Subscription.select().first()
    ended = await client.post_form(
        f"{base}/{sub['id']}/end", {"ends_on": "2026-02-01"}, follow_redirects=True
    )
    assert "Ended" in text_of(ended.text)
    again = await client.post_form(
        f"{base}/{sub['id']}/end", {"ends_on": "2026-02-01"}, follow_redirects=True
    )
    assert "already ended" in text_of(again.text)


async def test_the_subscription_pages_are_for_vendor_admins_only(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    answer = await client.get(f"/admin/organisations/{org['id']}/subscriptions")
    assert answer.status_code == 403
