"""Walk every route of the app (pages and API, taken from the app's own route table, so new
routes are covered without touching this file) as people of another organisation, and prove
that nothing of organisation A leaks and nothing of it changes."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar

from src.identity.auth import build_actor
from src.identity.services import create_token
from src.tenants.tables import Membership, Organisation, Person
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import route_requests

SAFE = ("GET", "HEAD")


async def _victim() -> tuple[dict[str, Any], list[str], list[int]]:
    """Organisation A with recognisable data; returns it, its markers, and ids of its objects."""
    org = await factories.organisation(
        name="Leakcheck Alpha Zorg B.V.",
        kvk_number="87654321",
        agb_code="12344321",
        billing_address="Geheimstraat 7\n9999 ZZ Verborgen",
        postal_address="Geheimstraat 7\n9999 ZZ Verborgen",
    )
    contact = await factories.person(name="Alphonse Geheim", email="alphonse.geheim@alpha.example")
    user = await factories.person(name="Berthe Verborgen", email="berthe.verborgen@alpha.example")
    m1 = await factories.member(org, contact, role="contact_person")
    m2 = await factories.member(org, user)
    actor = await build_actor(contact["id"], org["id"], "127.0.0.1")
    assert actor is not None
    token_row, _secret = await create_token(actor, "alpha token")
    markers = [
        "Leakcheck Alpha",
        "87654321",
        "12344321",
        "Geheimstraat",
        "Alphonse Geheim",
        "Berthe Verborgen",
        "alphonse.geheim@alpha.example",
        "berthe.verborgen@alpha.example",
        contact["personal_identity_number"],
        user["personal_identity_number"],
    ]
    ids = sorted({org["id"], contact["id"], user["id"], m1["id"], m2["id"], token_row["id"]})
    return org, markers, ids


async def _snapshot(org_id: int) -> str:
    rows = {
        "organisation": await Organisation.select().where(Organisation.id == org_id),
        "memberships": await Membership.select()
        .where(Membership.organisation == org_id)
        .order_by(Membership.id),
        "people": await Person.select()
        .where(
            Person.id.is_in(
                [
                    m["person"]
                    for m in await Membership.select(Membership.person).where(
                        Membership.organisation == org_id
                    )
                ]
            )
        )
        .order_by(Person.id),
    }
    return json.dumps(rows, default=str, sort_keys=True)


def _requests(app: Litestar, ids: list[int]) -> list[tuple[str, str]]:
    return route_requests(app, [str(i) for i in ids], ["x", str(ids[0])])


async def _walk(
    client: Any, requests: list[tuple[str, str]], markers: list[str], headers: dict[str, str]
) -> list[str]:
    problems = []
    for method, path in requests:
        if path in ("/signout",):
            continue
        if method in SAFE:
            response = await client.request(method, path, headers=headers, follow_redirects=False)
        elif path.startswith("/api/"):
            body = {
                "name": "Hijacked",
                "email": "hijack@evil.example",
                "role": "contact_person",
                "active": False,
            }
            response = await client.request(method, path, json=body, headers=headers, follow_redirects=False)
        else:
            form = {
                "_csrf_token": await client.csrf(),
                "name": "Hijacked",
                "email": "hijack@evil.example",
                "confirm_own_address": "on",
                "role": "contact_person",
            }
            response = await client.request(method, path, data=form, headers=headers, follow_redirects=False)
        if response.status_code >= 500:
            problems.append(f"{method} {path} answered {response.status_code}")
        body_text = response.text
        for marker in markers:
            if marker and marker in body_text:
                problems.append(f"{method} {path} shows {marker!r} ({response.status_code})")
    return problems


async def test_no_route_shows_or_changes_another_organisations_data_to_its_contact_person(app, client):
    victim, markers, ids = await _victim()
    before = await _snapshot(victim["id"])
    other = await factories.organisation(name="Beta Zorg B.V.")
    intruder = await factories.member(other, role="contact_person")
    await sign_in_person(client, intruder["person_row"])

    problems = await _walk(client, _requests(app, ids), markers, headers={})

    assert problems == []
    assert await _snapshot(victim["id"]) == before


async def test_no_route_shows_or_changes_another_organisations_data_to_its_end_user(app, client):
    victim, markers, ids = await _victim()
    before = await _snapshot(victim["id"])
    other = await factories.organisation(name="Gamma Zorg B.V.")
    intruder = await factories.member(other)
    await sign_in_person(client, intruder["person_row"])

    problems = await _walk(client, _requests(app, ids), markers, headers={})

    assert problems == []
    assert await _snapshot(victim["id"]) == before


async def test_no_api_route_shows_or_changes_another_organisations_data_to_a_token(app, client):
    victim, markers, ids = await _victim()
    before = await _snapshot(victim["id"])
    other = await factories.organisation(name="Delta Zorg B.V.")
    intruder = await factories.member(other, role="contact_person")
    actor = await build_actor(intruder["person"], other["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "intruder")
    api_requests = [(m, p) for m, p in _requests(app, ids) if p.startswith("/api/")]

    problems = await _walk(client, api_requests, markers, headers={"Authorization": f"Bearer {secret}"})

    assert problems == []
    assert await _snapshot(victim["id"]) == before


async def test_the_walk_reaches_every_route(app):
    """Guards the walk itself: it must produce requests for every handler in the route table."""
    requests = _requests(app, [1, 2])
    walked = {path.split("/")[1] for _m, path in requests}
    assert {"signin", "auth", "choose-organisation", "health", "ready"} <= walked
