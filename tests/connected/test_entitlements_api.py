"""A connected service asks at each sign-in and before each new record what a person may do
(rules AG-1, AG-4, AG-5, AG-6, MOD-1, MOD-2), with its own client's token."""

from __future__ import annotations

from typing import Any

import pytest

from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import entitlements
from src.tenants.tables import Organisation
from tests import factories
from tests.connected.support import (
    actor_of,
    announce,
    connected_service,
    grant,
    sign_agreement,
    subscribe,
)


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


def codes(answer: Any) -> list[str]:
    return [r["code"] for r in answer.json()["reasons"]]


async def card_user(org: dict[str, Any], card: str = "NL-CARD-2001", **fields: Any) -> dict[str, Any]:
    return await factories.member(org, await factories.person(card_id=card), **fields)


def by_card(org: dict[str, Any], card: str = "NL-CARD-2001") -> dict[str, str]:
    return {"identifier_kind": "card_id", "identifier": card.lower(), "organisation": org["kvk_number"]}


async def test_sign_in_allowed_with_agreement_and_subscription(app):
    # rule AG-1
    await announce()
    org = await factories.organisation(name="Huisartsen Oost B.V.")
    user = await card_user(org)
    await sign_agreement(org)
    await subscribe(org)
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(**by_card(org))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["person"] == {"id": user["person"], "name": user["person_row"]["name"]}
    assert body["organisation"] == {"id": org["id"], "name": "Huisartsen Oost B.V."}
    assert body["may_use"] is True and body["may_create"] is True
    assert body["reasons"] == [] and body["modules"] == []


async def test_before_the_deadline_both_stay_true_and_the_reasons_are_the_banners_texts(app):
    # rule AG-5
    await announce()
    org = await factories.organisation()
    user = await card_user(org)
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(**by_card(org))
        dutch = await webcert.entitlements(**by_card(org), headers={"Accept-Language": "nl"})
        swedish = await webcert.entitlements(**by_card(org), language="sv", headers={"Accept-Language": "nl"})
    body = answer.json()
    assert body["may_use"] is True and body["may_create"] is True
    assert codes(answer) == ["agreement_missing", "subscription_missing", "deadline_ahead"]
    banner = (await entitlements.banners_for(await actor_of(user)))[0]
    assert body["reasons"][-1]["message"] == banner["text"]
    assert "The earlier terms of use end on" in banner["text"]
    assert codes(dutch) == codes(answer) and "Uw organisatie" in dutch.json()["reasons"][0]["message"]
    assert "organisation" in swedish.json()["reasons"][0]["message"]  # Swedish: "Din organisation ..."
    assert swedish.json()["reasons"][0]["message"] not in (
        body["reasons"][0]["message"],
        dutch.json()["reasons"][0]["message"],
    )


async def test_after_the_deadline_a_record_is_refused_and_reading_stays(app):
    # rule AG-6
    await announce(days_ago=200, months=6)
    org = await factories.organisation()
    await card_user(org)
    await sign_agreement(org)  # the agreement, but no subscription
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(**by_card(org))
        assert answer.json()["may_use"] is True and answer.json()["may_create"] is False
        assert codes(answer) == ["subscription_missing", "deadline_passed"]
        message = answer.json()["reasons"][-1]["message"]
        assert "you can no longer create new records in Webcert" in message
        assert "reading and exporting" in message
        await subscribe(org)
        again = await webcert.entitlements(**by_card(org))
    assert again.json()["may_create"] is True and again.json()["reasons"] == []


async def test_e_id_for_an_aktiebolag_is_refused_and_a_smart_card_is_not(app):
    # rule AG-4
    org = await factories.organisation(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    who = await factories.person(personal_identity_number=factories.personnummer(1975), card_id="SE-CARD-77")
    await factories.member(org, who)
    async with connected_service(app) as webcert:
        e_id = await webcert.entitlements(
            identifier_kind="personal_identity_number",
            identifier=who["personal_identity_number"],
            organisation=org["org_number"][:6] + "-" + org["org_number"][6:],
            language="en",
        )
        card = await webcert.entitlements(
            identifier_kind="card_id", identifier="SE-CARD-77", organisation=str(org["id"])
        )
    assert e_id.status_code == 200, e_id.text
    assert e_id.json()["may_use"] is False and e_id.json()["may_create"] is False
    assert codes(e_id) == ["legal_form_e_id"]
    assert "only to sole proprietorships" in e_id.json()["reasons"][0]["message"]
    assert card.json()["may_use"] is True and codes(card) == []


async def test_a_sole_proprietorship_signs_in_with_e_id(app):
    # rule AG-4
    org = await factories.organisation(
        country="SE",
        legal_form="enskild_firma",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    who = await factories.person(personal_identity_number=factories.personnummer(1960))
    await factories.member(org, who)
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(
            identifier_kind="personal_identity_number",
            identifier=who["personal_identity_number"],
            organisation=org["org_number"],
        )
    assert answer.json()["may_use"] is True and codes(answer) == []


async def test_a_suspended_organisation_may_do_nothing(app):
    org = await factories.organisation()
    await card_user(org)
    await Organisation.update({Organisation.status: "suspended"}).where(Organisation.id == org["id"])
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(**by_card(org))
    assert answer.json()["may_use"] is False and answer.json()["may_create"] is False
    assert codes(answer) == ["suspended"]


async def test_someone_who_is_not_a_user_of_the_organisation_may_do_nothing(app):
    org = await factories.organisation()
    other = await factories.organisation()
    await card_user(other)
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(**by_card(org))
    assert answer.json()["may_use"] is False and codes(answer) == ["not_a_member"]


async def test_the_procurement_portal_needs_a_right_and_tells_the_modules(app):
    # rule MOD-1, rule MOD-2
    org = await factories.organisation()
    await subscribe(org, "procurement_portal", "standard")
    user = await card_user(org)
    async with connected_service(app, "procurement_portal") as portal:
        without = await portal.entitlements(**by_card(org))
        assert without.json()["may_use"] is False and codes(without) == ["no_rights"]
        await grant(org, user, "requests")
        await grant(org, user, "contracting", signing=True)
        answer = await portal.entitlements(**by_card(org))
    assert answer.json()["may_use"] is True and answer.json()["may_create"] is True
    assert answer.json()["modules"] == [
        {"code": "requests", "signing": False},
        {"code": "contracting", "signing": True},
    ]


async def test_unknown_people_and_organisations_answer_404(app):
    org = await factories.organisation()
    await card_user(org)
    async with connected_service(app) as webcert:
        nobody = await webcert.entitlements(**{**by_card(org), "identifier": "NL-CARD-9999"})
        nowhere = await webcert.entitlements(**{**by_card(org), "organisation": "99999998"})
    assert nobody.status_code == 404 and "No active person has this identifier." in nobody.text
    assert nowhere.status_code == 404 and "No organisation has this number." in nowhere.text


async def test_missing_or_bad_parameters_are_named(app):
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(identifier_kind="passport", organisation="acme")
        language = await webcert.entitlements(
            identifier_kind="card_id", identifier="X", organisation="12345678", language="de"
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"identifier_kind", "identifier", "organisation"}
    assert language.status_code == 422 and language.json()["errors"][0]["field"] == "language"


async def test_the_answer_is_in_the_api_documentation(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/services/{service_code}/entitlements"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"identifier_kind", "identifier", "organisation"}
    assert "deadline_passed" in operation["description"]
    assert {"202", "200", "422"} <= set(
        schema["paths"]["/api/v1/services/{service_code}/module-messages"]["post"]["responses"]
    )
