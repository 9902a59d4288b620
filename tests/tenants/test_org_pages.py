"""The organisation's pages for its members: its home and, for contact persons, its users."""

from __future__ import annotations

from typing import Any

from src.core.tables import AuditEntry, OutboxMessage
from src.tenants.tables import Membership
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of


async def signed_in(client: Any, membership: dict[str, Any]) -> None:
    answer = await sign_in_person(client, membership["person_row"])
    assert answer.status_code in (302, 303), answer.text


async def test_the_organisation_home_shows_its_details_and_your_role(client):
    org = await factories.organisation(
        name="Zorggroep Linde B.V.", kvk_number="30276841", agb_code="47051234", billing_address="Postbus 9"
    )
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    home = await client.get("/organisation")
    assert home.status_code == 200
    text = text_of(home.text)
    for expected in ("Zorggroep Linde B.V.", "30276841", "47051234", "Postbus 9", "Contact person"):
        assert expected in text
    assert 'href="/organisation/users"' in home.text


async def test_an_end_user_sees_the_home_without_the_user_management(client):
    org = await factories.organisation()
    await factories.member(org, role="contact_person")
    user = await factories.member(org, email="eve@zorg.example")
    await signed_in(client, user)
    home = await client.get("/organisation")
    assert home.status_code == 200
    assert "End user" in text_of(home.text)
    assert "eve@zorg.example" in home.text  # rule MOD-3: the user sees their registered e-mail
    assert 'href="/organisation/users"' not in home.text


async def test_a_contact_person_sees_every_user_with_their_registered_email(client):
    # rule MOD-3
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    users = [await factories.member(org, email=f"user{i}@zorg.example") for i in range(3)]
    await factories.member(org, email="gone@zorg.example", active=False)
    stranger_org = await factories.organisation()
    await factories.member(stranger_org, email="stranger@other.example")
    await signed_in(client, contact)

    listing = await client.get("/organisation/users")
    assert listing.status_code == 200
    text = text_of(listing.text)
    for user in users:
        assert user["email"] in text
        assert user["person_row"]["personal_identity_number"] not in text  # identifiers are masked
        assert user["person_row"]["personal_identity_number"][-4:] in text
    assert "gone@zorg.example" in text and "Deactivated" in text
    assert "stranger@other.example" not in text


async def test_an_end_user_cannot_see_the_list_of_users(client):
    # rule MOD-3: looking up the users is for contact persons
    org = await factories.organisation()
    await factories.member(org, role="contact_person", email="boss@zorg.example")
    user = await factories.member(org)
    await signed_in(client, user)
    refused = await client.get("/organisation/users")
    assert refused.status_code == 403
    assert "boss@zorg.example" not in refused.text
    assert (await client.get("/organisation/users/new")).status_code == 403


async def test_searching_narrows_the_list_and_htmx_gets_only_the_table(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await factories.member(org, name="Anneke Jansen", email="anneke@zorg.example")
    await factories.member(org, name="Bram de Boer", email="bram@zorg.example")
    await signed_in(client, contact)
    answer = await client.get("/organisation/users?q=anneke", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert "anneke@zorg.example" in answer.text and "bram@zorg.example" not in answer.text


async def test_adding_a_user_with_errors_shows_them_next_to_the_fields_and_stores_nothing(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    form = await client.get("/organisation/users/new")
    assert form.status_code == 200 and "BSN" in form.text

    answer = await client.post_form(
        "/organisation/users/new",
        {
            "name": "Nieuwe Collega",
            "email": "not an address",
            "role": "end_user",
            "personal_identity_number": "",
        },
    )
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "not a valid e-mail address" in text
    assert "Enter the personal identity number or the card id" in text
    assert 'value="Nieuwe Collega"' in answer.text  # what was typed stays
    assert await Membership.count().where(Membership.organisation == org["id"]) == 1
    assert not await OutboxMessage.exists()


async def test_adding_a_user_lists_them_and_queues_the_invitation(client):
    # rule MOD-8
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    answer = await client.post_form(
        "/organisation/users/new",
        {
            "name": "Nieuwe Collega",
            "email": "nieuw@zorg.example",
            "role": "end_user",
            "personal_identity_number": "111222333",
            "card_id": "",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/organisation/users"
    listing = await client.get("/organisation/users")
    text = text_of(listing.text)
    assert "Nieuwe Collega" in text and "nieuw@zorg.example" in text
    assert "an invitation mail is on its way" in text
    assert await OutboxMessage.exists().where(OutboxMessage.actor_name == "send_invitation")


async def test_adding_the_same_person_twice_says_so_next_to_the_identifier(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await factories.member(org, await factories.person(card_id="UZI-123456"))
    await signed_in(client, contact)
    answer = await client.post_form(
        "/organisation/users/new",
        {"name": "Again", "email": "again@zorg.example", "role": "end_user", "card_id": "uzi-123456"},
    )
    assert answer.status_code == 422
    assert "already a user of this organisation" in text_of(answer.text)


async def test_htmx_actions_re_render_the_row_in_place(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org, name="Carla Visser")
    await signed_in(client, contact)

    made = await client.htmx("POST", f"/organisation/users/{user['id']}/make-contact-person")
    assert made.status_code == 200
    assert made.text.lstrip().startswith(f'<tbody id="user-{user["id"]}"')
    assert "Remove as contact person" in made.text

    deactivated = await client.htmx("POST", f"/organisation/users/{user['id']}/deactivate")
    assert deactivated.status_code == 200
    assert "Deactivated" in text_of(deactivated.text) and "Reactivate" in deactivated.text

    reactivated = await client.htmx("POST", f"/organisation/users/{user['id']}/reactivate")
    assert "Active" in text_of(reactivated.text)
    actions = [
        e["action"]
        for e in await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.object_id == str(user["id"]))
        .order_by(AuditEntry.id)
    ]
    assert actions == ["tenants.contact_person_made", "tenants.user_deactivated", "tenants.user_reactivated"]


async def test_the_last_contact_person_refusal_is_explained_in_the_row(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await factories.member(org)
    await signed_in(client, contact)

    refused = await client.htmx("POST", f"/organisation/users/{contact['id']}/remove-contact-person")
    assert refused.status_code == 409
    text = text_of(refused.text)
    assert "last active contact person" in text
    assert (
        "An organisation always needs at least one contact person; make someone else contact person first."
        in text
    )
    assert refused.text.lstrip().startswith(f'<tbody id="user-{contact["id"]}"')

    refused = await client.htmx("POST", f"/organisation/users/{contact['id']}/deactivate")
    assert refused.status_code == 409
    row = await Membership.select().where(Membership.id == contact["id"]).first()
    assert row["active"] and row["role"] == "contact_person"


async def test_without_htmx_the_refusal_comes_back_as_a_message_on_the_list(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    answer = await client.post_form(f"/organisation/users/{contact['id']}/deactivate", follow_redirects=False)
    assert answer.status_code == 303
    listing = await client.get("/organisation/users")
    assert "make someone else contact person first" in text_of(listing.text)


async def test_another_organisations_user_answers_not_found(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    other = await factories.organisation()
    await factories.member(other, role="contact_person")
    victim = await factories.member(other)
    await signed_in(client, contact)
    for action in ("deactivate", "make-contact-person", "remove-contact-person", "reactivate"):
        answer = await client.htmx("POST", f"/organisation/users/{victim['id']}/{action}")
        assert answer.status_code == 404, action
    row = await Membership.select().where(Membership.id == victim["id"]).first()
    assert row["active"] and row["role"] == "end_user"


async def test_an_end_user_cannot_change_users(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    await signed_in(client, user)
    answer = await client.htmx("POST", f"/organisation/users/{contact['id']}/deactivate")
    assert answer.status_code == 403
    answer = await client.post_form(
        "/organisation/users/new", {"name": "X", "email": "x@zorg.example", "card_id": "XX-1"}
    )
    assert answer.status_code == 403


async def test_a_contact_person_who_steps_down_is_taken_to_the_organisation_home(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    answer = await client.htmx("POST", f"/organisation/users/{contact['id']}/remove-contact-person")
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/organisation"
    home = await client.get("/organisation")
    assert "You are no longer a contact person of this organisation." in text_of(home.text)
    assert (await client.get("/organisation/users")).status_code == 403


async def test_a_vendor_admin_acting_for_no_organisation_is_sent_to_the_organisations_list(client):
    admin = await factories.vendor_admin()
    answer = await sign_in_person(client, admin, provider="staff")
    assert answer.status_code in (302, 303)
    for path in ("/organisation", "/organisation/users", "/organisation/users/new"):
        sent = await client.get(path, follow_redirects=False)
        assert sent.status_code == 303, path
        assert sent.headers["location"] == "/admin/organisations"


async def test_a_long_users_list_pages_forward_and_back_keeping_the_search(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person", name="Aaron Contact")
    for i in range(55):
        await factories.member(org, name=f"Bert {i:02d}", email=f"bert{i}@zorg.example")
    await signed_in(client, contact)

    first = await client.get("/organisation/users", params={"q": "bert"})
    assert "Page 1 of 2 · 55 users" in text_of(first.text)
    assert 'rel="prev"' not in first.text
    assert 'rel="next" href="/organisation/users?q=bert&amp;page=2"' in first.text
    assert 'hx-target="#users-table" hx-swap="outerHTML"' in first.text

    second = await client.htmx("GET", "/organisation/users?q=bert&page=2")
    text = text_of(second.text)
    assert "Page 2 of 2 · 55 users" in text and "Bert 54" in text and "Bert 00" not in text
    assert 'rel="prev" href="/organisation/users?q=bert&amp;page=1"' in second.text
    assert 'rel="next"' not in second.text
