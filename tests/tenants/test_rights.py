"""Rights per module and the last signing right (rules MOD-1, MOD-2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from src.core import clock
from src.core.errors import Conflict
from src.core.tables import AuditEntry
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering, subscriptions
from src.subscriptions.tables import ServiceModule
from src.tenants.services import rights, user_changes
from src.tenants.tables import Membership, ModuleRight
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import bearer_for
from tests.support import text_of

PORTAL = "procurement_portal"


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def actor_of(member: dict[str, Any]) -> Any:
    actor = await build_actor(member["person"], member["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def subscribed_org(**fields: Any) -> dict[str, Any]:
    org = await factories.organisation(**fields)
    admin = await factories.vendor_admin()
    admin_actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert admin_actor is not None
    await ordering.order(
        admin_actor,
        org["id"],
        service=PORTAL,
        variant="standard",
        start=dt.date.today() - dt.timedelta(days=1),
    )
    return org


async def module_id(code: str) -> int:
    row = await ServiceModule.select(ServiceModule.id).where(ServiceModule.code == code).first()
    assert row is not None
    return int(row["id"])


def rights_url(org: dict[str, Any], user: dict[str, Any]) -> str:
    return f"/api/v1/organisations/{org['id']}/users/{user['id']}/rights"


async def test_a_contact_person_sets_rights_per_module_through_the_api(client):
    # rule MOD-1
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    headers = await bearer_for(contact["person"], org["id"])
    wanted = [
        {"service": PORTAL, "module": "requests"},
        {"service": PORTAL, "module": "contracting", "signing": True},
    ]
    answer = await client.put(rights_url(org, user), json={"rights": wanted}, headers=headers)
    assert answer.status_code == 200, answer.text
    got = (await client.get(rights_url(org, user), headers=headers)).json()
    assert {(r["module"], r["signing"]) for r in got} == {("requests", False), ("contracting", True)}
    assert await AuditEntry.exists().where(AuditEntry.action == "rights.granted")


async def test_rights_only_for_modules_of_subscribed_services(client):
    # rule MOD-1
    org = await factories.organisation()  # no subscription
    contact = await factories.member(org, role="contact_person")
    headers = await bearer_for(contact["person"], org["id"])
    answer = await client.put(
        rights_url(org, contact),
        json={"rights": [{"service": PORTAL, "module": "requests"}]},
        headers=headers,
    )
    assert answer.status_code == 422
    assert await ModuleRight.count() == 0
    org2 = await subscribed_org()
    contact2 = await factories.member(org2, role="contact_person")
    bad = await client.put(
        rights_url(org2, contact2),
        json={"rights": [{"service": PORTAL, "module": "requests", "signing": True}]},
        headers=await bearer_for(contact2["person"], org2["id"]),
    )
    assert bad.status_code == 422  # requests has no signing rights


async def test_rights_api_answers_404_for_another_organisation_and_403_for_end_users(client):
    org = await subscribed_org()
    other = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    stranger = await factories.member(other)
    user = await factories.member(org)
    headers = await bearer_for(contact["person"], org["id"])
    assert (await client.get(rights_url(other, stranger), headers=headers)).status_code == 404
    assert (
        await client.get(f"/api/v1/organisations/{org['id']}/users/999999/rights", headers=headers)
    ).status_code == 404
    assert (
        await client.get(rights_url(org, user), headers=await bearer_for(user["person"], org["id"]))
    ).status_code == 403
    bad = await client.put(rights_url(org, user), json={"rights": "all"}, headers=headers)
    assert bad.status_code == 400


async def test_taking_away_the_last_signing_right_needs_confirmation(client):
    # rule MOD-2
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    signer = await factories.member(org, name="Sven Signer")
    headers = await bearer_for(contact["person"], org["id"])
    url = rights_url(org, signer)
    signing = {"rights": [{"service": PORTAL, "module": "contracting", "signing": True}]}
    assert (await client.put(url, json=signing, headers=headers)).status_code == 200
    refused = await client.put(url, json={"rights": []}, headers=headers)
    assert refused.status_code == 409
    assert "no more contracts can be concluded" in refused.json()["detail"]
    assert "for a new user with signing rights" in refused.json()["detail"]
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert await rights.last_signer_at_risk(actor, org["id"], signer["id"])
    done = await client.put(url, json={"rights": [], "confirm_last_signer": True}, headers=headers)
    assert done.status_code == 200 and done.json() == []
    assert await AuditEntry.exists().where(AuditEntry.action == "rights.withdrawn")


async def test_a_second_signer_means_no_confirmation_is_needed(client):
    # rule MOD-2
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    first = await factories.member(org)
    second = await factories.member(org)
    headers = await bearer_for(contact["person"], org["id"])
    signing = {"rights": [{"service": PORTAL, "module": "contracting", "signing": True}]}
    for who in (first, second):
        assert (await client.put(rights_url(org, who), json=signing, headers=headers)).status_code == 200
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert not await rights.last_signer_at_risk(actor, org["id"], first["id"])
    assert (await client.put(rights_url(org, first), json={"rights": []}, headers=headers)).status_code == 200


async def test_deactivating_the_last_signer_needs_the_last_signer_confirmation():
    # rule MOD-2
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    signer = await factories.member(org)
    actor = await actor_of(contact)
    await rights.set_right(
        actor, org["id"], signer["id"], await module_id("contracting"), granted=True, signing=True
    )
    with pytest.raises(Conflict) as exc:
        await user_changes.set_active(actor, org["id"], signer["id"], False)
    assert "no more contracts can be concluded" in exc.value.message
    assert (await Membership.select().where(Membership.id == signer["id"]).first())["active"]
    row = await user_changes.set_active(
        actor, org["id"], signer["id"], False, confirmations=frozenset({"last_signer"})
    )
    assert row["active"] is False


async def test_the_users_page_shows_a_confirm_step_before_deactivating_the_last_signer(client):
    # rule MOD-2
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    signer = await factories.member(org, name="Sanne Signer")
    await rights.set_right(
        await actor_of(contact),
        org["id"],
        signer["id"],
        await module_id("contracting"),
        granted=True,
        signing=True,
    )
    await sign_in_person(client, contact["person_row"])
    url = f"/organisation/users/{signer['id']}/deactivate"
    step = await client.htmx("POST", url, data={})
    assert step.status_code == 409
    assert "no more contracts can be concluded" in text_of(step.text)
    assert 'name="confirm" value="last_signer"' in step.text
    assert (await Membership.select().where(Membership.id == signer["id"]).first())["active"]
    done = await client.htmx("POST", url, data={"confirm": "last_signer"})
    assert done.status_code == 200
    assert not (await Membership.select().where(Membership.id == signer["id"]).first())["active"]


async def test_the_matrix_page_toggles_a_cell_with_htmx_and_confirms_the_last_signing_right(client):
    # rule MOD-1, rule MOD-2
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person", name="Cora Contact")
    await sign_in_person(client, contact["person_row"])
    page = await client.get("/organisation/rights")
    assert page.status_code == 200
    text = text_of(page.text)
    assert (
        "Contracting" in text
        and "Cora Contact" in text
        and "Nobody in your organisation has signing rights" in text
    )
    contracting = await module_id("contracting")
    url = f"/organisation/rights/{contact['id']}/{contracting}"
    granted = await client.htmx("POST", url, data={"state": "signing"})
    assert granted.status_code == 200 and "Signing" in text_of(granted.text)
    assert granted.text.lstrip().startswith("<td")
    refused = await client.htmx("POST", url, data={"state": "right"})
    assert refused.status_code == 409 and "no more contracts can be concluded" in text_of(refused.text)
    assert (await ModuleRight.select().first())["signing"] is True
    confirmed = await client.htmx("POST", url, data={"state": "right", "confirm": "last_signer"})
    assert confirmed.status_code == 200
    assert (await ModuleRight.select().first())["signing"] is False


async def test_the_matrix_page_is_for_contact_persons(client):
    org = await subscribed_org()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/organisation/rights")).status_code == 403


async def test_rights_of_an_ended_subscription_are_kept_inactive_and_work_again_when_reordered(client):
    # rule MOD-1: rights follow the subscription in force; ending it keeps them on record
    org = await subscribed_org()
    admin = await build_actor((await factories.vendor_admin())["id"], None, "127.0.0.1")
    assert admin is not None
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    headers = await bearer_for(contact["person"], org["id"])
    wanted = [{"service": PORTAL, "module": "requests"}]
    answer = await client.put(rights_url(org, user), json={"rights": wanted}, headers=headers)
    assert answer.status_code == 200, answer.text

    [portal] = [
        s for s in await subscriptions.list_subscriptions(admin, org["id"]) if s["service_code"] == PORTAL
    ]
    await subscriptions.end_subscription(admin, org["id"], portal["id"], clock.today())
    got = {
        r["module"]: r["active"] for r in (await client.get(rights_url(org, user), headers=headers)).json()
    }
    assert got == {"requests": False}
    # rights are set only for subscribed services' modules; setting them keeps the others
    answer = await client.put(rights_url(org, user), json={"rights": []}, headers=headers)
    assert answer.json() == [{"service": PORTAL, "module": "requests", "signing": False, "active": False}]
    await sign_in_person(client, contact["person_row"])
    page = await client.get(f"/organisation/users/{user['id']}")
    assert "Inactive: no subscription" in text_of(page.text)

    await ordering.order(admin, org["id"], service=PORTAL, variant="standard")
    got = {
        r["module"]: r["active"] for r in (await client.get(rights_url(org, user), headers=headers)).json()
    }
    assert got == {"requests": True}
