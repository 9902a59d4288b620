"""The profile page: the registered e-mail and its change (MOD-3, MOD-4), organisations, API tokens."""

from __future__ import annotations

import re
from typing import Any

from src.core.tables import AuditEntry
from src.identity.tables import ApiToken
from src.tenants.tables import Membership
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of


async def signed_in_user(client: Any, **fields: Any) -> dict[str, Any]:
    org = await factories.organisation(name="Zorggroep Profiel B.V.")
    await factories.member(org, role="contact_person")
    user = await factories.member(org, **fields)
    answer = await sign_in_person(client, user["person_row"])
    assert answer.status_code in (302, 303)
    return user


async def test_the_profile_shows_the_registered_email(client):
    # rule MOD-3: the user sees their registered e-mail when signed in
    await signed_in_user(client, email="mijn.adres@zorg.example")
    profile = await client.get("/profile")
    assert profile.status_code == 200
    text = text_of(profile.text)
    assert "mijn.adres@zorg.example" in text
    assert "This is my own (business) address" in text
    assert "Zorggroep Profiel B.V." in text


async def test_without_the_tick_the_change_is_refused_and_nothing_changes(client):
    # rule MOD-4
    user = await signed_in_user(client, email="oud@zorg.example")
    answer = await client.post_form("/profile/email", {"email": "nieuw@zorg.example"})
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Confirm that this is your own (business) address." in text
    assert 'value="nieuw@zorg.example"' in answer.text  # what was typed stays in the field
    row = await Membership.select(Membership.email).where(Membership.id == user["id"]).first()
    assert row["email"] == "oud@zorg.example"
    assert not await AuditEntry.exists().where(AuditEntry.action == "tenants.email_changed")


async def test_with_the_tick_the_address_changes_and_a_general_address_is_allowed(client):
    # rule MOD-4
    user = await signed_in_user(client, email="oud@zorg.example")
    answer = await client.post_form(
        "/profile/email", {"email": "info@zorg.example", "own_address": "yes"}, follow_redirects=False
    )
    assert answer.status_code == 303
    profile = await client.get("/profile")
    assert "Your registered e-mail address was changed to info@zorg.example" in text_of(profile.text)
    row = await Membership.select(Membership.email).where(Membership.id == user["id"]).first()
    assert row["email"] == "info@zorg.example"
    assert await AuditEntry.exists().where(AuditEntry.action == "tenants.email_changed")


async def test_an_address_that_is_not_one_is_refused(client):
    user = await signed_in_user(client, email="oud@zorg.example")
    answer = await client.post_form("/profile/email", {"email": "oud at zorg", "own_address": "yes"})
    assert answer.status_code == 422
    assert "not a valid e-mail address" in text_of(answer.text)
    row = await Membership.select(Membership.email).where(Membership.id == user["id"]).first()
    assert row["email"] == "oud@zorg.example"


async def test_the_email_is_registered_per_organisation(client):
    # rule MOD-3: changing it for one organisation leaves the other's registration alone
    who = await factories.person()
    first = await factories.organisation(name="Eerste Zorg B.V.")
    second = await factories.organisation(name="Tweede Zorg B.V.")
    m1 = await factories.member(first, who, email="a@eerste.example")
    m2 = await factories.member(second, who, email="a@tweede.example")
    answer = await sign_in_person(client, who)
    assert answer.headers["location"] == "/choose-organisation"
    await client.post_form("/choose-organisation", {"organisation_id": str(first["id"])})
    profile = await client.get("/profile")
    assert 'href="/choose-organisation"' in profile.text
    assert "Eerste Zorg B.V." in profile.text and "Tweede Zorg B.V." in profile.text
    await client.post_form("/profile/email", {"email": "nieuw@eerste.example", "own_address": "yes"})
    emails = {
        r["id"]: r["email"]
        for r in await Membership.select(Membership.id, Membership.email).where(
            Membership.id.is_in([m1["id"], m2["id"]])
        )
    }
    assert emails == {m1["id"]: "nieuw@eerste.example", m2["id"]: "a@tweede.example"}


async def test_a_token_is_shown_once_and_works_until_it_is_revoked(client):
    user = await signed_in_user(client)
    created = await client.post_form("/profile/tokens", {"name": "Rapportage"})
    assert created.status_code == 200
    secret = re.search(r'id="new-token-secret">([^<]+)<', created.text)
    assert secret, created.text
    token = secret.group(1).strip()
    assert "shown only this once" in text_of(created.text)

    profile = await client.get("/profile")
    assert "Rapportage" in profile.text and token[:10] in profile.text
    assert token not in profile.text  # never shown again

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["person"]["id"] == user["person"]
    profile = await client.get("/profile")
    assert "never" not in text_of(profile.text).split("Rapportage", 1)[1][:80]  # last used is now shown

    row = await ApiToken.select(ApiToken.id).where(ApiToken.name == "Rapportage").first()
    revoked = await client.htmx("POST", f"/profile/tokens/{row['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.text.lstrip().startswith('<section class="card" id="api-tokens">')
    assert "Revoked" in text_of(revoked.text)

    refused = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_token_name_that_is_too_long_is_refused_next_to_the_field(client):
    await signed_in_user(client)
    answer = await client.htmx("POST", "/profile/tokens", data={"name": "x" * 101})
    assert answer.status_code == 422
    assert "Use at most 100 characters." in text_of(answer.text)
    assert not await ApiToken.exists()


async def test_someone_elses_token_cannot_be_revoked(client):
    org = await factories.organisation()
    other = await factories.member(org)
    from src.identity.auth import build_actor
    from src.identity.services import create_token

    other_actor = await build_actor(other["person"], org["id"], "")
    assert other_actor is not None
    row, _secret = await create_token(other_actor, "theirs")
    await signed_in_user(client)
    answer = await client.post_form(f"/profile/tokens/{row['id']}/revoke")
    assert answer.status_code == 404
    still = await ApiToken.select(ApiToken.revoked_at).where(ApiToken.id == row["id"]).first()
    assert still["revoked_at"] is None


async def test_a_vendor_admin_without_an_organisation_sees_a_profile_without_a_registered_email(client):
    admin = await factories.vendor_admin()
    answer = await sign_in_person(client, admin, provider="staff")
    assert answer.status_code in (302, 303)
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert "You act for no organisation right now" in text_of(profile.text)
    refused = await client.post_form("/profile/email", {"email": "x@vendor.example", "own_address": "yes"})
    assert refused.status_code == 404
