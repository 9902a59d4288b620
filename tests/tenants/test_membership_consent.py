"""Adding a user by identifier tells a contact person nothing about people of other organisations,
and nobody becomes a user of an organisation without accepting its invitation.

A contact person of organisation A enters a personal identity number that belongs to a person
of organisation B: the page and the API answer exactly as for an identifier nobody has, the user
waits as "invited" with only what A entered, and the person decides after signing in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from src.core.i18n import current_locale
from src.core.tables import AuditEntry, CaughtMail
from src.identity.auth import build_actor
from src.settings import get_settings
from src.tenants.tables import Membership, Person
from src.tenants.tasks import invitation_text
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.tenants.test_invitation import run_outbox
from tests.tenants.test_users_api import bearer

KNOWN_BSN = "111222333"  # a person of organisation B
UNKNOWN_BSN = "123456782"  # nobody
B_CARD = "UZI-B-9876"
SECRETS = ("Geheime Bea", "bea@bee.example", "Bee Zorg B.V.", B_CARD, "9876")


async def two_organisations() -> dict[str, Any]:
    """Organisation A with its contact person; organisation B with a person who also has a card."""
    a = await factories.organisation(name="Aa Zorg B.V.")
    b = await factories.organisation(name="Bee Zorg B.V.")
    contact = await factories.member(a, role="contact_person", name="Carla Contact")
    bea = await factories.person(
        name="Geheime Bea", email="bea@bee.example", personal_identity_number=KNOWN_BSN, card_id=B_CARD
    )
    await factories.member(b, bea, email="bea@bee.example")
    return {"a": a, "b": b, "contact": contact, "bea": bea}


def _same_shape(body: dict[str, Any]) -> dict[str, Any]:
    """An API answer without what differs between any two new users anyway."""
    return {
        k: v
        for k, v in body.items()
        if k not in ("id", "name", "email", "personal_identity_number_masked", "created_at", "updated_at")
    }


async def add_by_api(client: Any, world: dict[str, Any], **fields: Any) -> Any:
    body = {"name": "Typed Name", "email": "typed@aa.example", **fields}
    url = f"/api/v1/organisations/{world['a']['id']}/users"
    return await client.post(url, headers=await bearer(world["contact"]), json=body)


def assert_nothing_of_bea(text: str, entered: str = "") -> None:
    """None of Bea's data, except what the contact person entered themselves."""
    for secret in SECRETS:
        assert secret in entered or secret not in text


async def test_the_api_answers_alike_for_an_identifier_known_elsewhere_and_an_unknown_one(client):
    world = await two_organisations()
    headers = await bearer(world["contact"])
    url = f"/api/v1/organisations/{world['a']['id']}/users"

    known = await add_by_api(client, world, personal_identity_number=KNOWN_BSN)
    unknown = await add_by_api(client, world, email="other@aa.example", personal_identity_number=UNKNOWN_BSN)

    assert known.status_code == unknown.status_code == 201
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert _same_shape(known.json()) == _same_shape(unknown.json())
    body = known.json()
    assert body["status"] == "invited" and body["active"] is False
    assert body["name"] == "Typed Name" and body["email"] == "typed@aa.example"
    assert body["personal_identity_number_masked"].endswith(KNOWN_BSN[-4:])
    assert body["card_id_masked"] == ""  # Bea's card is hers, not A's to see
    assert "person_id" not in body
    assert_nothing_of_bea(known.text)
    assert_nothing_of_bea((await client.get(url, headers=headers)).text)
    assert_nothing_of_bea((await client.get(f"{url}/{body['id']}", headers=headers)).text)


@pytest.mark.parametrize(
    "identifiers",
    [
        {"personal_identity_number": KNOWN_BSN, "card_id": "UZI-NEW-1"},  # Bea has another card
        {"personal_identity_number": UNKNOWN_BSN, "card_id": B_CARD},  # Bea's card, another number
        {"personal_identity_number": "BLOCKED"},  # a person whose access is blocked
    ],
)
async def test_identifiers_that_do_not_fit_a_person_elsewhere_answer_as_any_other(client, identifiers):
    world = await two_organisations()
    if identifiers["personal_identity_number"] == "BLOCKED":
        blocked = await factories.person(personal_identity_number="100000009", active=False)
        identifiers = {"personal_identity_number": blocked["personal_identity_number"]}
    baseline = await add_by_api(client, world, email="base@aa.example", personal_identity_number="100000010")

    answer = await add_by_api(client, world, **identifiers)

    assert answer.status_code == baseline.status_code == 201, answer.text
    assert _same_shape(answer.json()) | {"card_id_masked": ""} == _same_shape(baseline.json())
    assert_nothing_of_bea(answer.text, entered=identifiers.get("card_id", ""))
    # nobody got an identifier attached
    assert await Person.count().where(Person.card_id == "UZI-NEW-1") == 0
    bea = await Person.select().where(Person.id == world["bea"]["id"]).first()
    assert (bea["personal_identity_number"], bea["card_id"]) == (KNOWN_BSN, B_CARD)


async def test_the_page_answers_alike_for_an_identifier_known_elsewhere_and_an_unknown_one(client):
    world = await two_organisations()
    await sign_in_person(client, world["contact"]["person_row"])

    answers = []
    for name, fields in (
        ("Known Typed", {"personal_identity_number": KNOWN_BSN}),
        ("Unknown Typed", {"personal_identity_number": UNKNOWN_BSN}),
        ("Mixed Typed", {"personal_identity_number": "100000010", "card_id": B_CARD}),
    ):
        form = {"name": name, "email": f"{name.split()[0].lower()}@aa.example", "role": "end_user", **fields}
        posted = await client.post_form("/organisation/users/new", form, follow_redirects=False)
        listing = await client.get(posted.headers.get("location", "/organisation/users"))
        flashed = re.search(r'class="flash[^"]*"[^>]*>(.*?)<', listing.text, re.S)
        message = text_of(flashed.group(1)) if flashed else ""
        message = message.replace(name, "NAME").replace(form["email"], "EMAIL")
        answers.append((posted.status_code, posted.headers.get("location"), message))
        assert_nothing_of_bea(listing.text, entered=fields.get("card_id", ""))

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (303, "/organisation/users")
    listing = text_of((await client.get("/organisation/users")).text)
    assert listing.count("Invited, waiting for acceptance") == 3
    assert "Known Typed" in listing and "known@aa.example" in listing


async def test_the_person_gets_access_only_by_accepting_the_invitation(client):
    world = await two_organisations()
    bea, a = world["bea"], world["a"]
    invited = (
        await add_by_api(client, world, role="contact_person", personal_identity_number=KNOWN_BSN)
    ).json()
    assert await build_actor(bea["id"], a["id"], "127.0.0.1") is None

    signed_in = await sign_in_person(client, bea)
    assert signed_in.headers["location"] == "/choose-organisation"
    choice = await client.get("/choose-organisation")
    assert "Aa Zorg B.V." in text_of(choice.text) and "Invitations" in text_of(choice.text)
    refused = await client.post_form("/choose-organisation", {"organisation_id": str(a["id"])})
    assert refused.status_code == 404
    assert await build_actor(bea["id"], a["id"], "127.0.0.1") is None

    accepted = await client.post_form(f"/invitations/{invited['id']}/accept", follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/organisation"
    home = await client.get("/organisation")
    assert home.status_code == 200 and "Aa Zorg B.V." in home.text
    actor = await build_actor(bea["id"], a["id"], "127.0.0.1")
    assert actor is not None and actor.is_contact_person
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.invitation_accepted").first()
    assert entry["organisation_id"] == a["id"] and entry["object_id"] == str(invited["id"])

    # organisation A sees its user active, still with the name and e-mail it entered
    user = (
        await client.get(
            f"/api/v1/organisations/{a['id']}/users/{invited['id']}", headers=await bearer(world["contact"])
        )
    ).json()
    assert (user["status"], user["name"], user["email"]) == ("active", "Typed Name", "typed@aa.example")


async def test_declining_leaves_no_membership_and_no_access(client):
    world = await two_organisations()
    bea, a = world["bea"], world["a"]
    invited = (await add_by_api(client, world, personal_identity_number=KNOWN_BSN)).json()

    await sign_in_person(client, bea)
    declined = await client.post_form(f"/invitations/{invited['id']}/decline", follow_redirects=False)

    assert declined.status_code == 303
    assert not await Membership.exists().where(Membership.id == invited["id"])
    assert await build_actor(bea["id"], a["id"], "127.0.0.1") is None
    assert await build_actor(bea["id"], world["b"]["id"], "127.0.0.1") is not None  # B is untouched
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.invitation_declined").first()
    assert entry["organisation_id"] == a["id"]
    assert "Geheime Bea" not in entry["actor_label"]  # named as A entered the name
    again = await client.post_form(f"/invitations/{invited['id']}/accept")
    assert again.status_code == 404
    listing = await client.get(
        f"/api/v1/organisations/{a['id']}/users", headers=await bearer(world["contact"])
    )
    assert invited["id"] not in {u["id"] for u in listing.json()}


async def test_a_new_person_signs_in_to_their_invitation(client):
    world = await two_organisations()
    invited = (await add_by_api(client, world, personal_identity_number=UNKNOWN_BSN)).json()
    person = await Person.select().where(Person.personal_identity_number == UNKNOWN_BSN).first()

    signed_in = await sign_in_person(client, person)
    assert signed_in.status_code == 302 and signed_in.headers["location"] == "/choose-organisation"
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/choose-organisation"
    await client.post_form(f"/invitations/{invited['id']}/accept")
    assert await build_actor(person["id"], world["a"]["id"], "127.0.0.1") is not None


async def test_nobody_answers_someone_elses_invitation(client):
    world = await two_organisations()
    invited = (await add_by_api(client, world, personal_identity_number=KNOWN_BSN)).json()
    intruder = await factories.member(world["b"])
    await sign_in_person(client, intruder["person_row"])
    for action in ("accept", "decline"):
        answer = await client.post_form(f"/invitations/{invited['id']}/{action}")
        assert answer.status_code == 404
    row = await Membership.select(Membership.pending).where(Membership.id == invited["id"]).first()
    assert row["pending"]


async def test_a_contact_person_withdraws_an_invitation_but_cannot_activate_it(client):
    world = await two_organisations()
    a = world["a"]
    headers = await bearer(world["contact"])
    url = f"/api/v1/organisations/{a['id']}/users"
    first = (await add_by_api(client, world, personal_identity_number=KNOWN_BSN)).json()
    second = (
        await add_by_api(client, world, email="t2@aa.example", personal_identity_number=UNKNOWN_BSN)
    ).json()

    # only the person can make the invitation active
    forced = await client.patch(f"{url}/{first['id']}", headers=headers, json={"active": True})
    assert forced.status_code == 409
    assert await build_actor(world["bea"]["id"], a["id"], "127.0.0.1") is None

    assert (await client.delete(f"{url}/{first['id']}", headers=headers)).status_code == 204
    assert not await Membership.exists().where(Membership.id == first["id"])
    # on the page, with htmx: the row gives way to a message
    await sign_in_person(client, world["contact"]["person_row"])
    row = await client.htmx("POST", f"/organisation/users/{second['id']}/withdraw")
    assert row.status_code == 200 and "was withdrawn" in text_of(row.text)
    assert not await Membership.exists().where(Membership.id == second["id"])
    withdrawn = await AuditEntry.count().where(AuditEntry.action == "tenants.invitation_withdrawn")
    assert withdrawn == 2

    # the person sees no invitation any more
    signed_in = await sign_in_person(client, world["bea"])
    assert signed_in.headers["location"] == "/"  # straight into B, as before
    assert "Aa Zorg B.V." not in (await client.get("/choose-organisation")).text

    # a user who accepted is deactivated, not withdrawn
    accepted = await factories.member(a)
    assert (await client.delete(f"{url}/{accepted['id']}", headers=headers)).status_code == 409


async def test_another_organisation_cannot_withdraw_or_see_the_invitation(client):
    world = await two_organisations()
    invited = (await add_by_api(client, world, personal_identity_number=KNOWN_BSN)).json()
    other = await factories.member(world["b"], role="contact_person")
    headers = await bearer(other)
    for url in (
        f"/api/v1/organisations/{world['a']['id']}/users/{invited['id']}",
        f"/api/v1/organisations/{world['b']['id']}/users/{invited['id']}",
    ):
        assert (await client.delete(url, headers=headers)).status_code == 404
        assert (await client.get(url, headers=headers)).status_code == 404
    assert await Membership.exists().where(Membership.id == invited["id"])


async def test_the_invitation_mail_names_only_the_identifiers_the_organisation_entered(client):
    world = await two_organisations()
    await add_by_api(client, world, email="typed@aa.example", personal_identity_number=KNOWN_BSN)
    await run_outbox()
    mail = (await CaughtMail.select().where(CaughtMail.recipients == "typed@aa.example"))[0]
    token = current_locale.set("nl")
    try:
        # Bea has a card too, but A did not enter it; and she is asked to accept
        expected = invitation_text(
            name="Typed Name",
            organisation="Aa Zorg B.V.",
            invited_by="Carla Contact",
            portal_url=f"{get_settings().base_url}/signin",
            has_pin=True,
            has_card=False,
            pending=True,
        )
    finally:
        current_locale.reset(token)
    assert (mail["subject"], mail["body"]) == expected
    assert_nothing_of_bea(mail["body"])


async def test_a_number_and_a_card_of_one_person_are_not_told_to_belong_together(client):
    world = await two_organisations()
    by_number = await add_by_api(client, world, personal_identity_number=KNOWN_BSN)
    # the same person's card alone: answered as any card, not "already invited"
    by_card = await add_by_api(client, world, email="card@aa.example", card_id=B_CARD)
    assert by_number.status_code == by_card.status_code == 201, by_card.text
    again = await add_by_api(client, world, email="again@aa.example", personal_identity_number=KNOWN_BSN)
    assert again.status_code == 422  # the same number twice is A's own knowledge

    # accepting one invitation leaves one membership
    await sign_in_person(client, world["bea"])
    await client.post_form(f"/invitations/{by_card.json()['id']}/accept")
    rows = await Membership.select(Membership.id, Membership.pending).where(
        (Membership.organisation == world["a"]["id"]) & (Membership.person == world["bea"]["id"])
    )
    assert rows == [{"id": by_card.json()["id"], "pending": False}]
