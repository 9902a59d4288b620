"""Requests for new users (rule MOD-8)."""

from __future__ import annotations

import pytest

from src.core.errors import Conflict, Forbidden, InputError
from src.core.tables import AuditEntry, OutboxMessage
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import requests, rights
from src.tenants.tables import Membership, UserRequest
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.tenants.test_rights import actor_of, module_id, subscribed_org


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def admin_actor():
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def test_a_request_approved_creates_the_user_with_the_rights_and_sends_the_invitation():
    # rule MOD-8
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    contracting, requests_module = await module_id("contracting"), await module_id("requests")
    row = await requests.create_request(
        await actor_of(contact),
        org["id"],
        name="Nina Nieuw",
        email="nina@org.example",
        card_id="UZI-123456",
        module_ids=[requests_module],
        signing_module_ids=[contracting],
    )
    assert row["status"] == "pending"
    pending = await requests.pending_requests(await admin_actor())
    assert [p["name"] for p in pending] == ["Nina Nieuw"]
    user = await requests.approve(await admin_actor(), row["id"])
    member = await Membership.select().where(Membership.id == user["id"]).first()
    assert member["email"] == "nina@org.example" and member["organisation"] == org["id"]
    got = await rights.user_rights(await actor_of(contact), org["id"], user["id"])
    assert {(r["module"], r["signing"]) for r in got} == {("requests", False), ("contracting", True)}
    assert await OutboxMessage.exists().where(OutboxMessage.dedupe_key == f"invitation:{user['id']}")
    assert (await UserRequest.select().first())["status"] == "approved"
    assert await AuditEntry.exists().where(AuditEntry.action == "requests.user_request_approved")
    with pytest.raises(Conflict):
        await requests.approve(await admin_actor(), row["id"])  # decided once


async def test_a_rejected_request_keeps_the_reason_and_creates_nobody():
    # rule MOD-8
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    row = await requests.create_request(
        await actor_of(contact), org["id"], name="Bob", email="bob@org.example", card_id="UZI-999"
    )
    with pytest.raises(InputError):
        await requests.reject(await admin_actor(), row["id"], "")
    await requests.reject(await admin_actor(), row["id"], "Unknown person")
    listed = await requests.list_requests(await actor_of(contact), org["id"])
    assert listed[0]["status"] == "rejected" and listed[0]["decision_reason"] == "Unknown person"
    assert await Membership.count() == 1


async def test_bad_requests_name_the_field_and_store_nothing():
    org = await subscribed_org()
    other = await factories.organisation()  # no subscription: its modules are not available
    contact = await factories.member(org, role="contact_person")
    with pytest.raises(InputError) as exc:
        await requests.create_request(
            await actor_of(contact), org["id"], name="", email="nope", module_ids=[999]
        )
    assert {"name", "email", "personal_identity_number", "modules"} <= set(exc.value.errors)
    other_contact = await factories.member(other, role="contact_person")
    with pytest.raises(InputError):
        await requests.create_request(
            await actor_of(other_contact),
            other["id"],
            name="X",
            email="x@o.example",
            card_id="UZI-1",
            module_ids=[await module_id("requests")],
        )
    assert await UserRequest.count() == 0


async def test_only_contact_persons_request_and_only_vendor_admins_decide():
    org = await subscribed_org()
    user = await factories.member(org)
    contact = await factories.member(org, role="contact_person")
    with pytest.raises(Forbidden):
        await requests.create_request(
            await actor_of(user), org["id"], name="X", email="x@o.example", card_id="UZI-1"
        )
    row = await requests.create_request(
        await actor_of(contact), org["id"], name="X", email="x@o.example", card_id="UZI-1"
    )
    with pytest.raises(Forbidden):
        await requests.approve(await actor_of(contact), row["id"])


async def test_the_request_pages_of_contact_person_and_vendor_admin(client):
    # rule MOD-8
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    bad = await client.post_form("/organisation/user-requests", {"name": "", "email": "x"})
    assert bad.status_code == 422 and "Enter the user" in text_of(bad.text)
    done = await client.post_form(
        "/organisation/user-requests",
        {
            "name": "Pia Page",
            "email": "pia@org.example",
            "card_id": "UZI-777",
            "modules": str(await module_id("general")),
        },
        follow_redirects=True,
    )
    assert "The request for Pia Page was sent" in text_of(done.text)
    await client.post("/signout", headers={"x-csrftoken": await client.csrf()})
    client.cookies.clear()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    listing = await client.get("/admin/user-requests")
    assert "Pia Page" in text_of(listing.text)
    row = await UserRequest.select().first()
    approved = await client.post_form(f"/admin/user-requests/{row['id']}/approve", follow_redirects=True)
    assert "Pia Page was added with the requested rights and invited." in text_of(approved.text)
    assert await Membership.exists().where(Membership.email == "pia@org.example")


async def test_adding_and_requesting_a_user_name_the_identifiers_alike_and_say_when_each_applies(client):
    for country, pin, card in (
        ("NL", "BSN (citizen service number)", "UZI number (UZI card)"),
        ("SE", "Personnummer", "HSA-id (SITHS card)"),
    ):
        org = await factories.organisation(
            country=country,
            **(
                {
                    "kvk_number": None,
                    "agb_code": None,
                    "org_number": factories.org_number(),
                    "legal_form": "aktiebolag",
                }
                if country == "SE"
                else {}
            ),
        )
        contact = await factories.member(org, role="contact_person")
        await sign_in_person(client, contact["person_row"])
        add = text_of((await client.get("/organisation/users/new")).text)
        request = text_of((await client.get("/organisation/user-requests")).text)
        for page in (add, request):
            assert pin in page and card in page and "Signs in with" in page
        assert "request a new user instead" in add
        assert "You can also add a user yourself" in request
        client.cookies.clear()
