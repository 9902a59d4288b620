"""Two organisations registering the same brand-new person at the same moment end exactly as
when they come one after the other: one person, a membership in each organisation.

On PostgreSQL the registrations really race: each waits, after finding no person with the
identifier, until the other has looked too, so both insert the person. On SQLite writes are
serialised by immediate transactions; the outcome must be the same."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from src.core import db
from src.core.errors import InputError
from src.core.tables import AuditEntry, OutboxMessage
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.tenants.services import contact_persons, people, user_changes
from src.tenants.tables import Membership, Person
from tests import factories
from tests.tenants.test_users_api import bearer

NEW_BSN = "111222333"


async def contact_actor(org: dict[str, Any]) -> Actor:
    contact = await factories.member(org, role="contact_person")
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    return actor


@pytest.fixture
def lookups_meet(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """On PostgreSQL, make the first `parties` person look-ups wait for each other, so every
    registration has seen "no such person" before any of them inserts one."""

    def install(parties: int) -> None:
        if not db.is_postgres():
            return
        barrier = asyncio.Barrier(parties)
        calls = itertools.count()

        def meeting(original: Any) -> Any:
            async def lookup(pin: str | None, card: str | None) -> dict[str, Any] | None:
                found = await original(pin, card)
                if next(calls) < parties:
                    assert found is None
                    await barrier.wait()
                return found

            return lookup

        # a contact person's invitation, a vendor admin's registration of a contact person
        for name in ("_by_pin_else_card", "_existing_person"):
            monkeypatch.setattr(people, name, meeting(getattr(people, name)))

    return install


async def at_once(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_two_organisations_adding_the_same_new_person_both_get_a_user(client, lookups_meet):
    first, second = await factories.organisation(), await factories.organisation()
    actor1, actor2 = await contact_actor(first), await contact_actor(second)
    lookups_meet(2)
    results = await at_once(
        user_changes.add_user(
            actor1,
            first["id"],
            name="Noor Jansen",
            email="noor@een.example",
            personal_identity_number=NEW_BSN,
        ),
        user_changes.add_user(
            actor2,
            second["id"],
            name="Noor Jansen",
            email="noor@twee.example",
            personal_identity_number=NEW_BSN,
        ),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    one, two = results
    assert one["person"] == two["person"]
    assert await Person.count().where(Person.personal_identity_number == NEW_BSN) == 1
    memberships = await Membership.select(Membership.organisation, Membership.email).where(
        Membership.person == one["person"]
    )
    assert {(m["organisation"], m["email"]) for m in memberships} == {
        (first["id"], "noor@een.example"),
        (second["id"], "noor@twee.example"),
    }
    # each organisation's change is audited and each registered address gets its invitation
    assert await AuditEntry.count().where(AuditEntry.action == "tenants.user_invited") == 2
    keys = {r["dedupe_key"] for r in await OutboxMessage.select(OutboxMessage.dedupe_key)}
    assert {f"invitation:{one['id']}", f"invitation:{two['id']}"} <= keys


async def test_the_same_new_card_id_at_once_is_one_person(client, lookups_meet):
    first, second = await factories.organisation(), await factories.organisation()
    actor1, actor2 = await contact_actor(first), await contact_actor(second)
    lookups_meet(2)
    results = await at_once(
        user_changes.add_user(actor1, first["id"], name="Kim", email="kim@een.example", card_id="uzi-4242"),
        user_changes.add_user(actor2, second["id"], name="Kim", email="kim@twee.example", card_id="UZI-4242"),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results[0]["person"] == results[1]["person"]
    assert await Person.count().where(Person.card_id == "UZI-4242") == 1


async def test_clashing_identifiers_at_once_end_as_when_one_after_the_other(client, lookups_meet):
    # same personal identity number, different cards: the card decides who signs in as the person,
    # so the second invitation may not attach its card, whether it comes later or at once; it
    # waits for the person with that number, as the first does
    first, second = await factories.organisation(), await factories.organisation()
    actor1, actor2 = await contact_actor(first), await contact_actor(second)
    lookups_meet(2)
    results = await at_once(
        user_changes.add_user(
            actor1,
            first["id"],
            name="Bo",
            email="bo@een.example",
            personal_identity_number=NEW_BSN,
            card_id="CARD-1",
        ),
        user_changes.add_user(
            actor2,
            second["id"],
            name="Bo",
            email="bo@twee.example",
            personal_identity_number=NEW_BSN,
            card_id="CARD-2",
        ),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert {r["status"] for r in results} == {"invited"}
    person = await Person.select().where(Person.personal_identity_number == NEW_BSN).first()
    assert person is not None and {r["person"] for r in results} == {person["id"]}
    assert person["card_id"] in ("CARD-1", "CARD-2")
    assert await Person.count() == 3  # two contact persons and this one
    assert await Membership.count().where(Membership.person == person["id"]) == 2


async def test_a_vendor_admin_registering_one_new_contact_person_for_two_organisations_at_once(
    client, lookups_meet
):
    first, second = await factories.organisation(), await factories.organisation()
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "192.0.2.1")
    assert actor is not None
    data = {"name": "Fleur Dekker", "email": "fleur@zorg.example", "personal_identity_number": NEW_BSN}
    lookups_meet(2)
    results = await at_once(
        contact_persons.add_contact_person(actor, first["id"], data),
        contact_persons.add_contact_person(actor, second["id"], data),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results[0]["person"] == results[1]["person"]
    assert {r["role"] for r in results} == {"contact_person"}
    assert await Person.count().where(Person.personal_identity_number == NEW_BSN) == 1
    created = [
        row["after"]["person_created"]
        for row in await AuditEntry.select(AuditEntry.after)
        .where(AuditEntry.action == "tenants.contact_person_added")
        .output(load_json=True)
    ]
    assert sorted(created) == [False, True]


async def test_the_api_answers_201_to_both_organisations(client, app, lookups_meet):
    first, second = await factories.organisation(), await factories.organisation()
    headers1 = await bearer(await factories.member(first, role="contact_person"))
    headers2 = await bearer(await factories.member(second, role="contact_person"))
    body = {"name": "Sem de Boer", "email": "sem@zorg.example", "personal_identity_number": NEW_BSN}
    lookups_meet(2)
    # the test client handles one request at a time; two requests in flight need the app itself
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as direct:
        answers = await asyncio.gather(
            direct.post(f"/api/v1/organisations/{first['id']}/users", json=body, headers=headers1),
            direct.post(f"/api/v1/organisations/{second['id']}/users", json=body, headers=headers2),
        )
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert await Person.count().where(Person.personal_identity_number == NEW_BSN) == 1
    person = await Person.select(Person.id).where(Person.personal_identity_number == NEW_BSN).first()
    ids = [a.json()["id"] for a in answers]
    same_person = Membership.person == person["id"]
    assert await Membership.count().where(Membership.id.is_in(ids)).where(same_person) == 2


async def test_a_registration_that_looked_before_the_other_committed_reuses_the_person(client, monkeypatch):
    # the same interleaving, made deterministic on both engines: the look-up answered "nobody"
    # just before the other organisation's registration committed
    first, second = await factories.organisation(), await factories.organisation()
    actor1, actor2 = await contact_actor(first), await contact_actor(second)
    one = await user_changes.add_user(
        actor1, first["id"], name="Lea", email="lea@een.example", personal_identity_number=NEW_BSN
    )
    original = people._by_pin_else_card
    calls = itertools.count()

    async def too_early(pin: str | None, card: str | None) -> dict[str, Any] | None:
        return None if next(calls) == 0 else await original(pin, card)

    monkeypatch.setattr(people, "_by_pin_else_card", too_early)
    two = await user_changes.add_user(
        actor2, second["id"], name="Lea", email="lea@twee.example", personal_identity_number=NEW_BSN
    )
    assert two["person"] == one["person"]
    assert await Person.count().where(Person.personal_identity_number == NEW_BSN) == 1
    with pytest.raises(InputError) as caught:  # and the rules for an existing person still apply
        calls = itertools.count()
        await user_changes.add_user(
            actor2, second["id"], name="Lea", email="lea@twee.example", personal_identity_number=NEW_BSN
        )
    assert "already been invited to this organisation" in caught.value.errors["personal_identity_number"]
