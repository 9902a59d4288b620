"""The JSON API for who-am-I and an organisation's users, with bearer tokens."""

from __future__ import annotations

from typing import Any

import pytest

from src.core.tables import AuditEntry, OutboxMessage
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.tenants.tables import Membership, Person
from tests import factories

PROBLEM = "application/problem+json"


async def bearer(membership: dict[str, Any]) -> dict[str, str]:
    actor = await build_actor(membership["person"], membership["organisation"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


async def setup_org(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    org = await factories.organisation(**fields)
    contact = await factories.member(org, role="contact_person")
    return org, contact, await bearer(contact)


def problem_fields(response: Any) -> set[str]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    return {e["field"] for e in response.json().get("errors", [])}


async def test_me_names_the_person_organisation_role_and_memberships(client):
    org = await factories.organisation(name="Mijn Zorg B.V.")
    who = await factories.person(name="Ida Bakker")
    contact = await factories.member(org, who, role="contact_person", email="ida@mijnzorg.example")
    elsewhere = await factories.organisation(name="Andere Zorg B.V.")
    await factories.member(elsewhere, who)
    answer = await client.get("/api/v1/me", headers=await bearer(contact))
    assert answer.status_code == 200
    body = answer.json()
    assert body["person"]["name"] == "Ida Bakker"
    assert body["organisation"]["name"] == "Mijn Zorg B.V."
    assert body["role"] == "contact_person"
    assert body["registered_email"] == "ida@mijnzorg.example"
    assert {m["organisation_name"] for m in body["memberships"]} == {"Mijn Zorg B.V.", "Andere Zorg B.V."}


async def test_without_a_valid_token_the_api_answers_401(client):
    answer = await client.get("/api/v1/me", headers={"Authorization": "Bearer cp_not-a-token"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_contact_person_lists_every_user_with_their_email(client):
    # rule MOD-3
    org, contact, headers = await setup_org()
    user = await factories.member(org, email="desk@zorg.example")
    answer = await client.get(f"/api/v1/organisations/{org['id']}/users", headers=headers)
    assert answer.status_code == 200
    rows = {u["id"]: u for u in answer.json()}
    assert set(rows) == {contact["id"], user["id"]}
    assert rows[user["id"]]["email"] == "desk@zorg.example"
    pin = user["person_row"]["personal_identity_number"]
    assert rows[user["id"]]["personal_identity_number_masked"].endswith(pin[-4:])
    assert pin not in answer.text


async def test_an_end_user_may_not_list_the_users(client):
    # rule MOD-3
    org, _contact, _headers = await setup_org()
    user = await factories.member(org)
    answer = await client.get(f"/api/v1/organisations/{org['id']}/users", headers=await bearer(user))
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith(PROBLEM)


async def test_adding_a_user_answers_201_and_queues_the_invitation(client):
    org, _contact, headers = await setup_org()
    answer = await client.post(
        f"/api/v1/organisations/{org['id']}/users",
        headers=headers,
        json={
            "name": "Joost Mulder",
            "email": "joost@zorg.example",
            "role": "contact_person",
            "personal_identity_number": "123456782",
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["name"] == "Joost Mulder" and body["role"] == "contact_person"
    assert body["status"] == "invited" and not body["active"]
    assert body["personal_identity_number_masked"].endswith("6782")
    assert await Person.exists().where(Person.personal_identity_number == "123456782")
    assert await OutboxMessage.exists().where(OutboxMessage.dedupe_key == f"invitation:{body['id']}")
    listing = await client.get(f"/api/v1/organisations/{org['id']}/users", headers=headers)
    assert body["id"] in {u["id"] for u in listing.json()}


async def test_invalid_input_answers_422_naming_the_field(client):
    org, _contact, headers = await setup_org()
    url = f"/api/v1/organisations/{org['id']}/users"
    answer = await client.post(url, headers=headers, json={"name": "X", "email": "nope", "card_id": "C-1"})
    assert answer.status_code == 422
    assert problem_fields(answer) == {"email"}
    answer = await client.post(url, headers=headers, json={"name": "X", "email": "x@zorg.example"})
    assert answer.status_code == 422
    assert problem_fields(answer) == {"personal_identity_number", "card_id"}
    answer = await client.post(
        url, headers=headers, json={"name": "X", "email": "x@zorg.example", "personal_identity_number": "1"}
    )
    assert answer.status_code == 422
    assert problem_fields(answer) == {"personal_identity_number"}
    assert await Membership.count().where(Membership.organisation == org["id"]) == 1


@pytest.mark.parametrize("hidden", ["\u202e", "\u2067", "\u200b", "\x07"])
async def test_a_name_with_an_invisible_control_character_is_refused_naming_it(client, hidden):
    """U+202E (right-to-left override) makes "Bakker\u202eredeeB" read as another name."""
    org, _contact, headers = await setup_org()
    url = f"/api/v1/organisations/{org['id']}/users"
    body = {"name": f"Bakker{hidden}redeeB", "email": "x@zorg.example", "card_id": "C-1"}
    answer = await client.post(url, headers=headers, json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "field": "name",
            "message": f"This text holds the invisible control character U+{ord(hidden):04X}, which can "
            "change how the text reads. Remove it.",
        }
    ]
    assert await Membership.count().where(Membership.organisation == org["id"]) == 1


async def test_a_body_of_the_wrong_shape_is_refused_naming_the_field(client):
    org, _contact, headers = await setup_org()
    url = f"/api/v1/organisations/{org['id']}/users"
    answer = await client.post(
        url, headers=headers, json={"name": "X", "email": "x@zorg.example", "role": "boss", "card_id": "C-1"}
    )
    assert answer.status_code in (400, 422)
    assert any("role" in field for field in problem_fields(answer))
    assert await Membership.count().where(Membership.organisation == org["id"]) == 1


async def test_patch_changes_name_email_role_and_status(client):
    org, _contact, headers = await setup_org()
    user = await factories.member(org)
    url = f"/api/v1/organisations/{org['id']}/users/{user['id']}"
    answer = await client.patch(
        url,
        headers=headers,
        json={"name": "Nieuwe Naam", "email": "nieuw@zorg.example", "role": "contact_person"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["name"], body["email"], body["role"]) == (
        "Nieuwe Naam",
        "nieuw@zorg.example",
        "contact_person",
    )
    answer = await client.patch(url, headers=headers, json={"active": False})
    assert answer.status_code == 200 and answer.json()["active"] is False
    entry = (
        await AuditEntry.select()
        .where(AuditEntry.action == "tenants.user_updated")
        .output(load_json=True)
        .first()
    )
    assert entry["before"]["name"] == user["name"] and entry["after"]["name"] == "Nieuwe Naam"
    answer = await client.patch(url, headers=headers, json={"email": "bad"})
    assert answer.status_code == 422 and problem_fields(answer) == {"email"}


async def test_the_last_contact_person_answers_409(client):
    org, contact, headers = await setup_org()
    url = f"/api/v1/organisations/{org['id']}/users/{contact['id']}"
    for change in ({"active": False}, {"role": "end_user"}):
        answer = await client.patch(url, headers=headers, json=change)
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert "make someone else contact person first" in answer.json()["detail"]
    row = await Membership.select().where(Membership.id == contact["id"]).first()
    assert row["active"] and row["role"] == "contact_person"


async def test_another_organisation_and_its_users_answer_404(client):
    org, _contact, headers = await setup_org()
    other, other_contact, _ = await setup_org()
    base = f"/api/v1/organisations/{other['id']}/users"
    assert (await client.get(base, headers=headers)).status_code == 404
    created = await client.post(
        base, headers=headers, json={"name": "X", "email": "x@zorg.example", "card_id": "C-9"}
    )
    assert created.status_code == 404
    assert (await client.get(f"{base}/{other_contact['id']}", headers=headers)).status_code == 404
    changed = await client.patch(f"{base}/{other_contact['id']}", headers=headers, json={"active": False})
    assert changed.status_code == 404
    # the other organisation's user through one's own organisation's path
    own = f"/api/v1/organisations/{org['id']}/users/{other_contact['id']}"
    assert (await client.patch(own, headers=headers, json={"active": False})).status_code == 404
    row = await Membership.select().where(Membership.id == other_contact["id"]).first()
    assert row["active"]
    assert not await Person.exists().where(Person.card_id == "C-9")


async def test_the_user_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/me" in schema["paths"]
    users = schema["paths"]["/api/v1/organisations/{organisation_id}/users"]
    assert {"get", "post"} <= set(users)
    assert "patch" in schema["paths"]["/api/v1/organisations/{organisation_id}/users/{user_id}"]
    assert not any(path.startswith(("/organisation", "/profile")) for path in schema["paths"])
