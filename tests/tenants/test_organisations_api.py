"""The organisations part of the JSON API (bearer tokens, problem+json errors)."""

from __future__ import annotations

from typing import Any

import pytest

from src.core.tables import AuditEntry
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.tenants.tables import Organisation
from tests import factories

URL = "/api/v1/organisations"


async def bearer(person_id: int, organisation_id: int | None = None) -> dict[str, str]:
    actor = await build_actor(person_id, organisation_id, "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


async def admin_headers() -> dict[str, str]:
    admin = await factories.vendor_admin()
    return await bearer(admin["id"])


async def member_headers(org: dict[str, Any], role: str = "end_user") -> dict[str, str]:
    membership = await factories.member(org, role=role)
    return await bearer(membership["person"], org["id"])


DUTCH = {
    "name": "Zorggroep Noord B.V.",
    "country": "NL",
    "legal_form": "bv",
    "kvk_number": "12345678",
    "agb_code": "01234567",
    "billing_address": "Postbus 12\n9700 AA Groningen",
    "postal_address": "Hereweg 1\n9711 AA Groningen",
}


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem.get("errors", [])}


# --- creating ----------------------------------------------------------------------------------


async def test_a_vendor_admin_registers_an_organisation(client):
    response = await client.post(URL, json=DUTCH, headers=await admin_headers())
    assert response.status_code == 201
    body = response.json()
    assert body["id"] > 0
    assert body["kvk_number"] == "12345678" and body["org_number"] is None
    assert body["status"] == "active" and body["legal_form_label"] == "Besloten vennootschap (B.V.)"
    assert await AuditEntry.exists().where(AuditEntry.action == "tenants.organisation_created")


async def test_a_swedish_sole_proprietorship_is_registered_with_the_owners_personnummer(client):
    # rule AG-4
    response = await client.post(
        URL,
        json={"name": "Dr Berg", "country": "SE", "legal_form": "enskild_firma", "org_number": "811218-9876"},
        headers=await admin_headers(),
    )
    assert response.status_code == 201
    assert response.json()["org_number"] == "198112189876"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kvk_number": "1234"}, "kvk_number"),
        ({"kvk_number": None}, "kvk_number"),
        ({"agb_code": "12"}, "agb_code"),
        ({"country": "DE"}, "country"),
        ({"legal_form": "aktiebolag"}, "legal_form"),
        ({"org_number": "556012-5790"}, "org_number"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_fields_answer_422_naming_the_field_and_store_nothing(client, changes, field):
    response = await client.post(URL, json={**DUTCH, **changes}, headers=await admin_headers())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in fields_of(response.json())
    assert await Organisation.count() == 0


async def test_a_duplicate_kvk_number_answers_422_on_that_field(client):
    headers = await admin_headers()
    assert (await client.post(URL, json=DUTCH, headers=headers)).status_code == 201
    again = await client.post(URL, json={**DUTCH, "name": "Twin B.V."}, headers=headers)
    assert again.status_code == 422
    assert fields_of(again.json()) == {"kvk_number"}
    assert await Organisation.count() == 1


async def test_malformed_json_answers_400_problem_json(client):
    response = await client.post(
        URL,
        content=b'{"name": "Broken',
        headers={**await admin_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await Organisation.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DUTCH, "name": 123}, "name"),
        ({**DUTCH, "kvk_number": 12345678}, "kvk_number"),
        ({key: value for key, value in DUTCH.items() if key != "country"}, "country"),
        ({**DUTCH, "kvk": "12345678"}, "kvk"),
    ],
    ids=["number as name", "number as kvk", "missing country", "unknown field"],
)
async def test_wrong_types_missing_or_unknown_fields_answer_400_naming_the_field(client, body, field):
    response = await client.post(URL, json=body, headers=await admin_headers())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert field in str(problem)
    assert await Organisation.count() == 0


# --- listing -----------------------------------------------------------------------------------


async def test_the_list_searches_filters_and_pages_with_a_total(client):
    for i in range(27):
        await factories.organisation(name=f"Praktijk {i:02d}")
    await factories.organisation(
        name="Vård Norr AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
        status="suspended",
    )
    headers = await admin_headers()

    first = (await client.get(URL, headers=headers)).json()
    assert first["total"] == 28 and first["page_size"] == 25 and first["pages"] == 2
    assert len(first["items"]) == 25
    second = (await client.get(URL, params={"page": 2}, headers=headers)).json()
    assert len(second["items"]) == 3

    swedish = (await client.get(URL, params={"country": "SE"}, headers=headers)).json()
    assert [o["name"] for o in swedish["items"]] == ["Vård Norr AB"] and swedish["total"] == 1
    assert (await client.get(URL, params={"q": "556012-5790"}, headers=headers)).json()["total"] == 1
    assert (await client.get(URL, params={"status": "suspended"}, headers=headers)).json()["total"] == 1
    assert (await client.get(URL, params={"legal_form": "bv", "q": "praktijk 2"}, headers=headers)).json()[
        "total"
    ] == 7
    ordered = (await client.get(URL, params={"sort": "-name"}, headers=headers)).json()
    assert ordered["items"][0]["name"] == "Vård Norr AB"


async def test_a_page_number_below_one_answers_400(client):
    response = await client.get(URL, params={"page": 0}, headers=await admin_headers())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


# --- reading -----------------------------------------------------------------------------------


async def test_a_member_reads_their_own_organisation_but_another_answers_404(client):
    org = await factories.organisation(name="Eigen Zorg B.V.")
    other = await factories.organisation(name="Vreemde Zorg B.V.")
    headers = await member_headers(org)

    own = await client.get(f"{URL}/{org['id']}", headers=headers)
    assert own.status_code == 200 and own.json()["name"] == "Eigen Zorg B.V."

    foreign = await client.get(f"{URL}/{other['id']}", headers=headers)
    assert foreign.status_code == 404
    assert "Vreemde" not in foreign.text


async def test_a_vendor_admin_reads_any_organisation_and_a_missing_one_is_404(client):
    org = await factories.organisation(name="Eigen Zorg B.V.")
    headers = await admin_headers()
    assert (await client.get(f"{URL}/{org['id']}", headers=headers)).json()["kvk_number"] == org["kvk_number"]
    assert (await client.get(f"{URL}/999999", headers=headers)).status_code == 404


async def test_without_a_token_the_api_answers_401(client):
    org = await factories.organisation()
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(f"{URL}/{org['id']}")).status_code == 401
    assert (await client.post(URL, json=DUTCH)).status_code == 401


# --- changing ----------------------------------------------------------------------------------


async def test_a_patch_changes_only_the_fields_sent(client):
    org = await factories.organisation(name="Oud B.V.")
    response = await client.patch(
        f"{URL}/{org['id']}", json={"name": "Nieuw B.V.", "agb_code": None}, headers=await admin_headers()
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Nieuw B.V." and body["agb_code"] is None
    assert body["kvk_number"] == org["kvk_number"]
    assert body["billing_address"] == org["billing_address"]


async def test_a_bad_patch_answers_422_and_changes_nothing(client):
    org = await factories.organisation()
    headers = await admin_headers()
    for body, field in (
        ({"kvk_number": "1"}, "kvk_number"),
        ({"country": "SE"}, "kvk_number"),
        ({"status": "closed"}, "status"),
    ):
        response = await client.patch(f"{URL}/{org['id']}", json=body, headers=headers)
        assert response.status_code == 422
        assert field in fields_of(response.json())
    stored = await Organisation.select().where(Organisation.id == org["id"]).first()
    assert stored["kvk_number"] == org["kvk_number"] and stored["status"] == "active"


async def test_suspending_through_the_api_locks_out_its_people_until_reactivated(client):
    org = await factories.organisation()
    member = await member_headers(org)
    admin = await admin_headers()
    assert (await client.get(f"{URL}/{org['id']}", headers=member)).status_code == 200

    suspended = await client.patch(f"{URL}/{org['id']}", json={"status": "suspended"}, headers=admin)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert (await client.get(f"{URL}/{org['id']}", headers=member)).status_code == 401

    await client.patch(f"{URL}/{org['id']}", json={"status": "active"}, headers=admin)
    assert (await client.get(f"{URL}/{org['id']}", headers=member)).status_code == 200
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert "tenants.organisation_suspended" in actions and "tenants.organisation_reactivated" in actions


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["end_user", "contact_person"])
async def test_people_of_an_organisation_may_not_list_create_or_change_organisations(client, role):
    org = await factories.organisation(name="Eigen Zorg B.V.")
    other = await factories.organisation(name="Vreemde Zorg B.V.")
    headers = await member_headers(org, role)

    assert (await client.get(URL, headers=headers)).status_code == 403
    assert (await client.post(URL, json=DUTCH, headers=headers)).status_code == 403
    own = await client.patch(f"{URL}/{org['id']}", json={"name": "Mine"}, headers=headers)
    assert own.status_code == 403
    foreign = await client.patch(f"{URL}/{other['id']}", json={"status": "suspended"}, headers=headers)
    assert foreign.status_code == 404
    assert await Organisation.count() == 2
    assert await Organisation.count().where(Organisation.status == "active") == 2
    assert not await Organisation.exists().where(Organisation.name == "Mine")


async def test_the_openapi_schema_documents_the_organisations_api_and_not_the_admin_pages(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/organisations"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/organisations/{organisation_id}"])
    assert not any(path.startswith("/admin") for path in schema["paths"])
