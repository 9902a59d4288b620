"""The rules for users of an organisation, at the service level."""

from __future__ import annotations

from typing import Any

import pytest

from src.core.errors import Conflict, Forbidden, InputError, NotFound
from src.core.tables import AuditEntry, OutboxMessage
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.tenants.services import user_changes, users
from src.tenants.tables import Membership, Person
from tests import factories

VALID_BSN = "111222333"
OTHER_BSN = "123456782"


async def actor_for(membership: dict[str, Any]) -> Actor:
    actor = await build_actor(membership["person"], membership["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def org_with_contact_person(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], Actor]:
    org = await factories.organisation(**fields)
    contact = await factories.member(org, role="contact_person")
    return org, contact, await actor_for(contact)


async def test_a_contact_person_sees_every_user_with_their_registered_email(client):
    # rule MOD-3
    org, contact, actor = await org_with_contact_person()
    user = await factories.member(org, email="desk@zorg.example")
    listing = await users.list_users(actor, org["id"])
    emails = {u["email"] for u in listing.users}
    assert emails == {contact["email"], "desk@zorg.example"}
    assert listing.total == 2
    row = next(u for u in listing.users if u["id"] == user["id"])
    pin = user["person_row"]["personal_identity_number"]
    assert row["personal_identity_number_masked"].endswith(pin[-4:])
    assert pin not in row["personal_identity_number_masked"]


async def test_an_end_user_may_not_look_up_the_users(client):
    # rule MOD-3: looking up everyone's e-mail is the contact person's
    org, _contact, _actor = await org_with_contact_person()
    end_user = await factories.member(org)
    with pytest.raises(Forbidden):
        await users.list_users(await actor_for(end_user), org["id"])


async def test_another_organisation_answers_not_found(client):
    org, _contact, actor = await org_with_contact_person()
    other, other_contact, _ = await org_with_contact_person()
    with pytest.raises(NotFound):
        await users.list_users(actor, other["id"])
    with pytest.raises(NotFound):
        await user_changes.update_user(actor, other["id"], other_contact["id"], active=False)
    # an id of the other organisation's user, asked through one's own organisation
    with pytest.raises(NotFound):
        await user_changes.update_user(actor, org["id"], other_contact["id"], active=False)
    assert (await Membership.select(Membership.active).where(Membership.id == other_contact["id"]))[0][
        "active"
    ]


async def test_adding_a_user_creates_the_person_audits_and_queues_the_invitation(client):
    # rule MOD-8: the user waits for the person's acceptance
    org, _contact, actor = await org_with_contact_person()
    row = await user_changes.add_user(
        actor,
        org["id"],
        name="  Anna   de Vries ",
        email="anna@zorg.example",
        role="end_user",
        personal_identity_number="111 222 333",
        card_id=" uzi-0012 ",
    )
    assert row["name"] == "Anna de Vries"
    assert row["status"] == "invited" and not row["active"]
    person = await Person.select().where(Person.id == row["person"]).first()
    assert person["personal_identity_number"] == VALID_BSN
    assert person["card_id"] == "UZI-0012"
    outbox = await OutboxMessage.select().where(OutboxMessage.actor_name == "send_invitation")
    assert [m["dedupe_key"] for m in outbox] == [f"invitation:{row['id']}"]
    entry = (
        await AuditEntry.select()
        .where(AuditEntry.action == "tenants.user_invited")
        .output(load_json=True)
        .first()
    )
    assert entry["organisation_id"] == org["id"]
    assert entry["after"]["email"] == "anna@zorg.example"
    assert VALID_BSN not in str(entry["after"])  # identifiers are audited masked


async def test_at_least_one_identifier_is_required_and_nothing_is_stored(client):
    org, _contact, actor = await org_with_contact_person()
    with pytest.raises(InputError) as caught:
        await user_changes.add_user(actor, org["id"], name="No Id", email="noid@zorg.example")
    assert set(caught.value.errors) == {"personal_identity_number", "card_id"}
    assert not await Membership.exists().where(Membership.email == "noid@zorg.example")
    assert not await OutboxMessage.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"personal_identity_number": "111222334"}, "personal_identity_number"),  # fails the eleven test
        ({"card_id": "ab"}, "card_id"),
        ({"card_id": "UZI 0012"}, "card_id"),
        ({"card_id": "X" * 65}, "card_id"),
        ({"card_id": "UZI-1", "email": "not-an-address"}, "email"),
        ({"card_id": "UZI-1", "email": "a@b"}, "email"),
        ({"card_id": "UZI-1", "name": "   "}, "name"),
        ({"card_id": "UZI-1", "role": "boss"}, "role"),
    ],
)
async def test_bad_input_names_the_field_and_changes_nothing(client, fields, field):
    org, _contact, actor = await org_with_contact_person()
    values: dict[str, Any] = {"name": "Some One", "email": "some.one@zorg.example", **fields}
    with pytest.raises(InputError) as caught:
        await user_changes.add_user(actor, org["id"], **values)
    assert field in caught.value.errors
    assert await Membership.count().where(Membership.organisation == org["id"]) == 1


async def test_a_swedish_organisation_validates_a_personnummer(client):
    org, _contact, actor = await org_with_contact_person(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    with pytest.raises(InputError) as caught:
        await user_changes.add_user(
            actor, org["id"], name="Sven", email="sven@ab.example", personal_identity_number="111222333"
        )
    assert "personal_identity_number" in caught.value.errors
    pnr = factories.personnummer(1975, 5, 17)
    row = await user_changes.add_user(
        actor,
        org["id"],
        name="Sven",
        email="sven@ab.example",
        personal_identity_number=f"{pnr[2:8]}-{pnr[8:]}",
    )
    person = await Person.select().where(Person.id == row["person"]).first()
    assert person["personal_identity_number"] == pnr  # normalised to 12 digits


async def test_a_person_of_another_organisation_is_reused_not_duplicated(client):
    first, _c1, actor1 = await org_with_contact_person()
    second, _c2, actor2 = await org_with_contact_person()
    one = await user_changes.add_user(
        actor1, first["id"], name="Multi", email="m@one.example", card_id="CARD-77"
    )
    two = await user_changes.add_user(
        actor2, second["id"], name="Multi", email="m@two.example", card_id="card-77"
    )
    assert one["person"] == two["person"]
    assert await Person.count().where(Person.card_id == "CARD-77") == 1


async def test_the_same_person_twice_in_one_organisation_is_refused_with_a_clear_message(client):
    org, _contact, actor = await org_with_contact_person()
    await user_changes.add_user(
        actor, org["id"], name="Twice", email="t@zorg.example", personal_identity_number=VALID_BSN
    )
    again = {"name": "Twice Again", "email": "t2@zorg.example", "personal_identity_number": VALID_BSN}
    with pytest.raises(InputError) as caught:
        await user_changes.add_user(actor, org["id"], **again)
    assert "already been invited to this organisation" in caught.value.errors["personal_identity_number"]
    await Membership.update({Membership.pending: False, Membership.active: True}).where(
        Membership.organisation == org["id"]
    )
    with pytest.raises(InputError) as caught:
        await user_changes.add_user(actor, org["id"], **again)
    assert "already a user of this organisation" in caught.value.errors["personal_identity_number"]
    assert await Membership.count().where(Membership.organisation == org["id"]) == 2


async def test_an_organisation_cannot_attach_a_new_card_to_an_existing_person(client):
    # The card decides who can sign in as that person, in every organisation they belong to.
    first, _c1, actor1 = await org_with_contact_person()
    second, _c2, actor2 = await org_with_contact_person()
    await user_changes.add_user(
        actor1, first["id"], name="Victim", email="v@one.example", personal_identity_number=VALID_BSN
    )
    row = await user_changes.add_user(
        actor2,
        second["id"],
        name="Victim",
        email="v@two.example",
        personal_identity_number=VALID_BSN,
        card_id="ATTACKER-1",
    )
    # the invitation waits for the person with that BSN; the card stays unregistered
    assert row["status"] == "invited" and row["card_id_masked"].endswith("ER-1")
    assert not await Person.exists().where(Person.card_id == "ATTACKER-1")


async def test_an_end_user_may_not_add_or_change_users(client):
    org, contact, _actor = await org_with_contact_person()
    end_user = await factories.member(org)
    actor = await actor_for(end_user)
    with pytest.raises(Forbidden):
        await user_changes.add_user(actor, org["id"], name="X", email="x@zorg.example", card_id="XX-1")
    with pytest.raises(Forbidden):
        await user_changes.set_active(actor, org["id"], contact["id"], False)


async def test_the_last_active_contact_person_cannot_be_deactivated_or_demoted(client):
    org, contact, actor = await org_with_contact_person()
    # a deactivated contact person does not count
    await factories.member(org, role="contact_person", active=False)
    with pytest.raises(Conflict) as caught:
        await user_changes.set_active(actor, org["id"], contact["id"], False)
    assert "at least one contact person" in caught.value.message
    assert "make someone else contact person first" in caught.value.message
    with pytest.raises(Conflict):
        await user_changes.set_contact_person(actor, org["id"], contact["id"], False)
    with pytest.raises(Conflict):
        await user_changes.update_user(actor, org["id"], contact["id"], role="end_user", name="Renamed")
    row = await Membership.select().where(Membership.id == contact["id"]).first()
    assert row["active"] and row["role"] == "contact_person" and row["name"] == contact["name"]
    assert not await AuditEntry.exists().where(AuditEntry.organisation_id == org["id"])


async def test_with_a_second_contact_person_the_first_can_step_down(client):
    org, contact, actor = await org_with_contact_person()
    colleague = await factories.member(org)
    made = await user_changes.set_contact_person(actor, org["id"], colleague["id"], True)
    assert made["role"] == "contact_person"
    stepped_down = await user_changes.set_contact_person(actor, org["id"], contact["id"], False)
    assert stepped_down["role"] == "end_user"
    assert stepped_down["updated_at"] != contact["updated_at"]
    actions = [
        e["action"]
        for e in await AuditEntry.select(AuditEntry.action).where(AuditEntry.organisation_id == org["id"])
    ]
    assert actions == ["tenants.contact_person_made", "tenants.contact_person_removed"]
    # now the colleague is the last one
    with pytest.raises(Conflict):
        await user_changes.set_active(actor, org["id"], colleague["id"], False)


async def test_deactivate_and_reactivate_are_audited_with_before_and_after(client):
    org, _contact, actor = await org_with_contact_person()
    user = await factories.member(org)
    await user_changes.set_active(actor, org["id"], user["id"], False)
    assert await build_actor(user["person"], org["id"], "") is None  # can no longer act for the organisation
    await user_changes.set_active(actor, org["id"], user["id"], True)
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.object_id == str(user["id"]))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    assert [(e["action"], e["before"], e["after"]) for e in entries] == [
        ("tenants.user_deactivated", {"active": True}, {"active": False}),
        ("tenants.user_reactivated", {"active": False}, {"active": True}),
    ]


async def test_a_user_changes_their_email_only_with_the_own_address_tick(client):
    # rule MOD-4
    org, _contact, _actor = await org_with_contact_person()
    user = await factories.member(org, email="old@zorg.example")
    actor = await actor_for(user)
    with pytest.raises(InputError) as caught:
        await user_changes.change_own_email(actor, "new@zorg.example", own_address_confirmed=False)
    assert "own_address" in caught.value.errors
    assert (await users.my_registration(actor) or {})["email"] == "old@zorg.example"
    assert not await AuditEntry.exists()

    with pytest.raises(InputError) as caught:
        await user_changes.change_own_email(actor, "no at sign", own_address_confirmed=True)
    assert "email" in caught.value.errors

    # a general address is allowed
    changed = await user_changes.change_own_email(actor, "info@zorg.example", own_address_confirmed=True)
    assert changed["email"] == "info@zorg.example"
    entry = (
        await AuditEntry.select()
        .where(AuditEntry.action == "tenants.email_changed")
        .output(load_json=True)
        .first()
    )
    assert entry["before"] == {"email": "old@zorg.example"}
    assert entry["after"]["email"] == "info@zorg.example"


async def test_the_list_is_paged_and_searchable(client):
    org, _contact, actor = await org_with_contact_person()
    for name in ("Anna", "Bert", "Cor", "Dirk"):
        await factories.member(org, name=f"{name} Jansen", email=f"{name.lower()}@zorg.example")
    second = await users.list_users(actor, org["id"], page=2, page_size=2)
    assert (second.total, second.pages, second.page) == (5, 3, 2)
    assert len(second.users) == 2
    beyond = await users.list_users(actor, org["id"], page=9, page_size=2)
    assert beyond.page == 3 and len(beyond.users) == 1
    found = await users.list_users(actor, org["id"], query="BERT@")
    assert [u["name"] for u in found.users] == ["Bert Jansen"] and found.total == 1


async def test_the_search_ignores_case_beyond_ascii_and_takes_wildcards_literally(client):
    org, _contact, actor = await org_with_contact_person()
    await factories.member(org, name="Åsa Öberg", email="asa.oberg@vard.example")
    await factories.member(org, name="Ärla Berg", email="arla_berg@vard.example")

    async def names(query: str) -> list[str]:
        return [u["name"] for u in (await users.list_users(actor, org["id"], query=query)).users]

    assert await names("åsa ö") == ["Åsa Öberg"]
    assert await names("ÄRLA") == ["Ärla Berg"]
    assert await names("a_b") == ["Ärla Berg"]  # "_" is a character, not "any one character"
    assert await names("%") == []
