"""A page per user: a contact person sees the user's details and rights, corrects a mistyped name
or e-mail, and is told what deactivating does before doing it (never for the last contact person)."""

from __future__ import annotations

from typing import Any

from src.core.tables import AuditEntry
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.tables import Membership
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import bearer_for
from tests.support import text_of
from tests.tenants.test_rights import PORTAL, rights_url, subscribed_org


async def contact_signed_in(client: Any, org: dict[str, Any]) -> dict[str, Any]:
    contact = await factories.member(org, role="contact_person", name="Carla Contact")
    await sign_in_person(client, contact["person_row"])
    return contact


async def test_the_user_page_shows_details_masked_identifiers_and_rights(client):
    await seed_catalogue()
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org, name="Joost Mulder", email="joost@zorg.example")
    wanted = [{"service": PORTAL, "module": "contracting", "signing": True}]
    headers = await bearer_for(contact["person"], org["id"])
    assert (
        await client.put(rights_url(org, user), json={"rights": wanted}, headers=headers)
    ).status_code == 200
    await sign_in_person(client, contact["person_row"])

    answer = await client.get(f"/organisation/users/{user['id']}")

    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Joost Mulder" in text and 'value="joost@zorg.example"' in answer.text
    pin = user["person_row"]["personal_identity_number"]
    assert pin[-4:] in text and pin not in text
    assert "Active" in text and "End user" in text
    assert "Signing right" in text  # the rights summary
    listing = await client.get("/organisation/users")
    assert f'href="/organisation/users/{user["id"]}"' in listing.text


async def test_a_contact_person_corrects_a_mistyped_name_and_email(client):
    org = await factories.organisation()
    await contact_signed_in(client, org)
    user = await factories.member(org, name="Jost Mulder", email="joost@zorg.exmaple")

    saved = await client.post_form(
        f"/organisation/users/{user['id']}",
        {"name": "  Joost   Mulder ", "email": "joost@zorg.example"},
        follow_redirects=False,
    )

    assert saved.status_code == 303 and saved.headers["location"] == f"/organisation/users/{user['id']}"
    row = (
        await Membership.select(Membership.name, Membership.email).where(Membership.id == user["id"]).first()
    )
    assert row == {"name": "Joost Mulder", "email": "joost@zorg.example"}
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.user_updated").first()
    assert entry["object_id"] == str(user["id"])
    assert "joost@zorg.exmaple" in str(entry["before"]) and "joost@zorg.example" in str(entry["after"])


async def test_a_bad_correction_is_shown_next_to_the_field_and_changes_nothing(client):
    org = await factories.organisation()
    await contact_signed_in(client, org)
    user = await factories.member(org, name="Joost Mulder", email="joost@zorg.example")

    refused = await client.post_form(f"/organisation/users/{user['id']}", {"name": "  ", "email": "joost@"})

    assert refused.status_code == 422
    assert 'id="name-error"' in refused.text and 'id="email-error"' in refused.text
    assert 'value="joost@"' in refused.text  # what was typed stays in the form
    row = (
        await Membership.select(Membership.name, Membership.email).where(Membership.id == user["id"]).first()
    )
    assert row == {"name": "Joost Mulder", "email": "joost@zorg.example"}
    assert not await AuditEntry.exists().where(AuditEntry.action == "tenants.user_updated")


async def test_only_a_contact_person_of_the_organisation_opens_or_changes_the_page(client):
    org = await factories.organisation()
    await factories.member(org, role="contact_person")
    user = await factories.member(org, name="Joost Mulder")
    end_user = await factories.member(org)
    await sign_in_person(client, end_user["person_row"])
    assert (await client.get(f"/organisation/users/{user['id']}")).status_code == 403
    assert (await client.post_form(f"/organisation/users/{user['id']}", {"name": "X"})).status_code == 403

    other = await factories.organisation()
    await contact_signed_in(client, other)
    assert (await client.get(f"/organisation/users/{user['id']}")).status_code == 404
    assert (await client.get(f"/organisation/users/{user['id']}/deactivate")).status_code == 404
    changed = await client.post_form(
        f"/organisation/users/{user['id']}", {"name": "X", "email": "x@x.example"}
    )
    assert changed.status_code == 404
    row = await Membership.select(Membership.name).where(Membership.id == user["id"]).first()
    assert row["name"] == "Joost Mulder"


async def test_deactivating_asks_first_and_says_what_it_does(client):
    org = await factories.organisation()
    await contact_signed_in(client, org)
    user = await factories.member(org, name="Joost Mulder")

    asked = await client.get(f"/organisation/users/{user['id']}/deactivate")

    assert asked.status_code == 200
    text = text_of(asked.text)
    assert "Deactivate Joost Mulder?" in text
    assert "can no longer sign in for this organisation" in text
    assert "reactivate" in text
    assert f'action="/organisation/users/{user["id"]}/deactivate"' in asked.text
    row = await Membership.select(Membership.active).where(Membership.id == user["id"]).first()
    assert row["active"]  # asking changes nothing
    done = await client.post_form(f"/organisation/users/{user['id']}/deactivate", follow_redirects=False)
    assert done.status_code == 303
    row = await Membership.select(Membership.active).where(Membership.id == user["id"]).first()
    assert not row["active"]


async def test_the_last_contact_person_is_told_before_confirming_that_they_cannot_leave(client):
    org = await factories.organisation()
    contact = await contact_signed_in(client, org)
    await factories.member(org, role="contact_person", active=False)  # does not count

    asked = await client.get(f"/organisation/users/{contact['id']}/deactivate")

    assert asked.status_code == 200
    text = text_of(asked.text)
    assert "Carla Contact is the last active contact person" in text
    assert "make someone else contact person first" in text
    assert "/deactivate" not in asked.text.split("<main", 1)[-1]  # no button to confirm

    # with a second contact person, deactivating yourself is possible, and says so
    await factories.member(org, role="contact_person")
    asked = await client.get(f"/organisation/users/{contact['id']}/deactivate")
    assert "You can no longer sign in for this organisation" in text_of(asked.text)
