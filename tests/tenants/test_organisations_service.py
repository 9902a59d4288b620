"""Vendor admins' rules for organisations, at the service level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from src.core.errors import Forbidden, InputError, NotFound
from src.core.tables import AuditEntry, CaughtMail, OutboxMessage
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.tenants.services import contact_persons, organisation_search, organisations
from src.tenants.services.organisation_search import OrganisationQuery
from src.tenants.tables import Membership, Organisation, Person
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of

VALID_BSN = "111222333"
OTHER_BSN = "123456782"


def dutch(**fields: Any) -> dict[str, Any]:
    values = {
        "name": "Zorggroep Noord B.V.",
        "country": "NL",
        "legal_form": "bv",
        "kvk_number": "1234 5678",
        "agb_code": "01234567",
        "billing_address": "Postbus 12\n9700 AA Groningen",
        "postal_address": "Hereweg 1\n9711 AA Groningen",
    }
    values.update(fields)
    return values


def swedish(**fields: Any) -> dict[str, Any]:
    values = {
        "name": "Vårdcentralen Norr AB",
        "country": "SE",
        "legal_form": "aktiebolag",
        "org_number": "556012-5790",
        "billing_address": "Box 1\n901 01 Umeå",
        "postal_address": "Storgatan 1\n903 26 Umeå",
    }
    values.update(fields)
    return values


async def admin_actor() -> Actor:
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "192.0.2.1")
    assert actor is not None and actor.is_vendor_admin
    return actor


async def member_actor(org: dict[str, Any], role: str = "end_user") -> Actor:
    membership = await factories.member(org, role=role)
    actor = await build_actor(membership["person"], org["id"], "192.0.2.2")
    assert actor is not None
    return actor


async def stored_organisations() -> int:
    return await Organisation.count()


async def audit_entry(action: str) -> dict[str, Any]:
    entry = await AuditEntry.select().where(AuditEntry.action == action).output(load_json=True).first()
    assert entry is not None, f"no audit row {action}"
    return entry


async def audit_actions() -> list[str]:
    return [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]


# --- registering -------------------------------------------------------------------------------


async def test_a_dutch_organisation_is_registered_with_its_numbers_normalised_and_audited():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())

    stored = await Organisation.select().where(Organisation.id == row["id"]).first()
    assert stored["kvk_number"] == "12345678"
    assert stored["agb_code"] == "01234567"
    assert stored["org_number"] is None
    assert stored["status"] == "active"
    entry = await audit_entry("tenants.organisation_created")
    assert entry["organisation_id"] == row["id"]
    assert entry["actor_person_id"] == actor.person_id
    assert entry["client_address"] == "192.0.2.1"
    assert entry["before"] is None
    after = entry["after"]
    assert after["kvk_number"] == "12345678" and after["name"] == "Zorggroep Noord B.V."


async def test_the_agb_code_of_a_dutch_organisation_is_optional():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch(agb_code=""))
    assert row["agb_code"] is None


async def test_a_swedish_organisation_is_registered_with_its_organisationsnummer():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, swedish())
    assert row["org_number"] == "5560125790"
    assert row["kvk_number"] is None and row["agb_code"] is None
    assert row["legal_form_label"] == "Aktiebolag (AB)"


async def test_an_enskild_firmas_organisationsnummer_is_the_owners_personnummer():
    # rule AG-4
    actor = await admin_actor()
    row = await organisations.create_organisation(
        actor, swedish(name="Dr Berg", legal_form="enskild_firma", org_number="811218-9876")
    )
    assert row["org_number"] == "198112189876"

    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(
            actor, swedish(name="Dr Ek", legal_form="enskild_firma", org_number="556012-5790")
        )
    assert set(refused.value.errors) == {"org_number"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (dutch(name="  "), "name"),
        (dutch(name="x" * 201), "name"),
        (dutch(country="DE"), "country"),
        (dutch(country=""), "country"),
        (dutch(legal_form=""), "legal_form"),
        (dutch(legal_form="gmbh"), "legal_form"),
        (dutch(legal_form="aktiebolag"), "legal_form"),
        (swedish(legal_form="bv"), "legal_form"),
        (dutch(kvk_number=""), "kvk_number"),
        (dutch(kvk_number="1234567"), "kvk_number"),
        (dutch(kvk_number="12345678X"), "kvk_number"),
        (dutch(agb_code="123"), "agb_code"),
        (dutch(org_number="556012-5790"), "org_number"),
        (swedish(org_number=""), "org_number"),
        (swedish(org_number="556012-5791"), "org_number"),
        (swedish(org_number="811218-9876"), "org_number"),
        (swedish(kvk_number="12345678"), "kvk_number"),
        (swedish(agb_code="01234567"), "agb_code"),
        (dutch(billing_address="x" * 1001), "billing_address"),
        (dutch(postal_address="x" * 1001), "postal_address"),
        (dutch(name="Zorggroep \u202eV.B"), "name"),
        (dutch(kvk_number="\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"), "kvk_number"),
    ],
    ids=[
        "no name",
        "long name",
        "country DE",
        "no country",
        "no legal form",
        "unknown legal form",
        "Swedish form for NL",
        "Dutch form for SE",
        "NL without KvK",
        "KvK 7 digits",
        "KvK with letter",
        "AGB 3 digits",
        "NL with organisationsnummer",
        "SE without organisationsnummer",
        "organisationsnummer check digit",
        "personnummer as AB number",
        "SE with KvK",
        "SE with AGB",
        "long billing address",
        "long postal address",
        "right-to-left override in the name",
        "KvK in Arabic-Indic digits",
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(data, field):
    actor = await admin_actor()
    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(actor, data)
    assert field in refused.value.errors
    assert refused.value.errors[field]
    assert await stored_organisations() == 0
    assert "tenants.organisation_created" not in await audit_actions()


async def test_every_problem_is_reported_at_once():
    actor = await admin_actor()
    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(
            actor, {"name": "", "country": "SE", "legal_form": "aktiebolag", "kvk_number": "1"}
        )
    assert set(refused.value.errors) == {"name", "org_number", "kvk_number"}


async def test_a_duplicate_kvk_number_is_a_field_error_and_nothing_is_stored():
    actor = await admin_actor()
    await organisations.create_organisation(actor, dutch())
    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(actor, dutch(name="Another B.V.", kvk_number="12345678"))
    assert "Zorggroep Noord B.V." in refused.value.errors["kvk_number"]
    assert await stored_organisations() == 1


async def test_a_duplicate_organisationsnummer_written_differently_is_still_a_duplicate():
    actor = await admin_actor()
    await organisations.create_organisation(actor, swedish())
    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(actor, swedish(name="Other AB", org_number="16 5560125790"))
    assert "org_number" in refused.value.errors
    assert await stored_organisations() == 1


@pytest.mark.parametrize(("data", "field"), [(dutch(), "kvk_number"), (swedish(), "org_number")])
async def test_the_unique_index_backs_up_the_duplicate_check(monkeypatch, data, field):
    """Two admins registering the same number at the same moment both pass the check before the
    insert; the unique index refuses the second, which gets the same field error."""
    actor = await admin_actor()
    await organisations.create_organisation(actor, data)

    async def no_duplicates(*_args: Any, **_kwargs: Any) -> dict[str, str]:
        return {}

    monkeypatch.setattr(organisations, "_duplicates", no_duplicates)
    with pytest.raises(InputError) as refused:
        await organisations.create_organisation(actor, {**data, "name": "Racing twin"})
    assert set(refused.value.errors) == {field}
    assert await stored_organisations() == 1
    assert (await audit_actions()).count("tenants.organisation_created") == 1
    # the database is usable again straight away (the failed transaction was rolled back)
    other = await organisations.create_organisation(actor, dutch(name="Next B.V.", kvk_number="87654321"))
    assert other["id"]


async def test_only_vendor_admins_register_organisations():
    org = await factories.organisation()
    for role in ("contact_person", "end_user"):
        actor = await member_actor(org, role)
        with pytest.raises(Forbidden):
            await organisations.create_organisation(actor, dutch())
    assert await stored_organisations() == 1


# --- editing -----------------------------------------------------------------------------------


async def test_an_edit_audits_the_changed_fields_before_and_after():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())
    await organisations.update_organisation(
        actor, row["id"], {**dutch(), "name": "Zorggroep Noord-Oost B.V.", "agb_code": ""}
    )
    stored = await Organisation.select().where(Organisation.id == row["id"]).first()
    assert stored["name"] == "Zorggroep Noord-Oost B.V."
    assert stored["agb_code"] is None
    entry = await audit_entry("tenants.organisation_updated")
    assert entry["before"] == {"name": "Zorggroep Noord B.V.", "agb_code": "01234567"}
    assert entry["after"] == {"name": "Zorggroep Noord-Oost B.V.", "agb_code": None}


async def test_an_edit_that_changes_nothing_writes_no_audit_row():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())
    await organisations.update_organisation(actor, row["id"], dutch())
    assert "tenants.organisation_updated" not in await audit_actions()


async def test_a_partial_edit_keeps_the_other_fields():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())
    updated = await organisations.update_organisation(actor, row["id"], {"postal_address": "Postbus 9"})
    assert updated["postal_address"] == "Postbus 9"
    assert updated["kvk_number"] == "12345678" and updated["name"] == "Zorggroep Noord B.V."


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"kvk_number": "123"}, "kvk_number"),
        ({"kvk_number": None}, "kvk_number"),
        ({"country": "SE"}, "kvk_number"),  # a Swedish organisation carries no KvK number
        ({"country": "SE", "legal_form": "aktiebolag", "kvk_number": None, "agb_code": None}, "org_number"),
        ({"legal_form": "stiftelse"}, "legal_form"),
        ({"status": "paused"}, "status"),
    ],
)
async def test_a_bad_edit_names_the_field_and_changes_nothing(changes, field):
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())
    before = await Organisation.select().where(Organisation.id == row["id"]).first()
    with pytest.raises(InputError) as refused:
        await organisations.update_organisation(actor, row["id"], changes)
    assert field in refused.value.errors
    assert await Organisation.select().where(Organisation.id == row["id"]).first() == before
    assert await audit_actions() == ["tenants.organisation_created"]


async def test_an_organisation_moves_country_when_its_identifiers_change_with_it():
    actor = await admin_actor()
    row = await organisations.create_organisation(actor, dutch())
    moved = await organisations.update_organisation(
        actor,
        row["id"],
        {
            "country": "SE",
            "legal_form": "aktiebolag",
            "kvk_number": None,
            "agb_code": None,
            "org_number": "5560125790",
        },
    )
    assert (moved["country"], moved["kvk_number"], moved["org_number"]) == ("SE", None, "5560125790")


async def test_an_edit_to_another_organisations_kvk_number_is_refused():
    actor = await admin_actor()
    await organisations.create_organisation(actor, dutch())
    second = await organisations.create_organisation(actor, dutch(name="Zuid B.V.", kvk_number="87654321"))
    with pytest.raises(InputError) as refused:
        await organisations.update_organisation(actor, second["id"], {"kvk_number": "12345678"})
    assert "kvk_number" in refused.value.errors
    assert (await organisations.get_organisation(actor, second["id"]))["kvk_number"] == "87654321"


async def test_an_edit_by_a_non_admin_is_forbidden_and_another_organisation_is_not_found():
    org = await factories.organisation()
    other = await factories.organisation()
    contact = await member_actor(org, "contact_person")
    with pytest.raises(Forbidden):
        await organisations.update_organisation(contact, org["id"], {"name": "Mine now"})
    with pytest.raises(NotFound):
        await organisations.update_organisation(contact, other["id"], {"name": "Mine now"})
    assert (await Organisation.select(Organisation.name).where(Organisation.id == org["id"]).first())[
        "name"
    ] == org["name"]


async def test_editing_an_organisation_that_does_not_exist_is_not_found():
    actor = await admin_actor()
    with pytest.raises(NotFound):
        await organisations.update_organisation(actor, 999999, {"name": "Ghost"})


# --- reading -----------------------------------------------------------------------------------


async def test_members_read_their_own_organisation_and_never_another():
    org = await factories.organisation(name="Eigen Zorg B.V.")
    other = await factories.organisation(name="Vreemde Zorg B.V.")
    actor = await member_actor(org)
    assert (await organisations.get_organisation(actor, org["id"]))["name"] == "Eigen Zorg B.V."
    with pytest.raises(NotFound):
        await organisations.get_organisation(actor, other["id"])
    admin = await admin_actor()
    assert (await organisations.get_organisation(admin, other["id"]))["name"] == "Vreemde Zorg B.V."


async def test_the_overview_shows_contact_persons_and_counts_active_users():
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await factories.member(org)
    await factories.member(org, active=False)
    elsewhere = await factories.organisation()
    await factories.member(elsewhere, role="contact_person")
    overview = await organisations.organisation_overview(await admin_actor(), org["id"])
    assert [p["name"] for p in overview["contact_persons"]] == [contact["name"]]
    assert overview["users_count"] == 2


async def test_only_vendor_admins_see_the_overview():
    org = await factories.organisation()
    with pytest.raises(Forbidden):
        await organisations.organisation_overview(await member_actor(org, "contact_person"), org["id"])


# --- the list ----------------------------------------------------------------------------------


async def names(actor: Actor, **query: Any) -> list[str]:
    found = await organisation_search.list_organisations(actor, OrganisationQuery.parse(**query))
    return [row["name"] for row in found.items]


async def sample() -> Actor:
    await factories.organisation(
        name="Alpha Zorg B.V.",
        kvk_number="11112222",
        agb_code="33334444",
        created_at=dt.datetime(2026, 1, 3, tzinfo=dt.UTC),
    )
    await factories.organisation(
        name="beta thuiszorg",
        legal_form="stichting",
        status="suspended",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    await factories.organisation(
        name="Gamma Vård AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
        created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
    )
    await factories.organisation(
        name="Delta 100% Zorg", legal_form="bv", created_at=dt.datetime(2026, 1, 4, tzinfo=dt.UTC)
    )
    return await admin_actor()


async def test_the_list_searches_names_case_insensitively_and_numbers_with_separators():
    actor = await sample()
    assert await names(actor, q="ZORG") == ["Alpha Zorg B.V.", "beta thuiszorg", "Delta 100% Zorg"]
    assert await names(actor, q="1111 2222") == ["Alpha Zorg B.V."]  # KvK number
    assert await names(actor, q="33334444") == ["Alpha Zorg B.V."]  # AGB code
    assert await names(actor, q="556012-5790") == ["Gamma Vård AB"]  # organisationsnummer
    assert await names(actor, q="100%") == ["Delta 100% Zorg"]  # % is a character, not a wildcard
    assert await names(actor, q="nobody") == []


async def test_the_name_search_ignores_case_beyond_ascii_too():
    actor = await sample()
    await factories.organisation(name="Vårdcentralen Örebro AB", country="SE", legal_form="aktiebolag")
    assert await names(actor, q="örebro") == ["Vårdcentralen Örebro AB"]
    assert await names(actor, q="VÅRDCENTRALEN ÖREBRO") == ["Vårdcentralen Örebro AB"]
    assert await names(actor, q="GAMMA VÅRD") == ["Gamma Vård AB"]


async def test_the_list_filters_by_country_legal_form_and_status():
    actor = await sample()
    assert await names(actor, country="SE") == ["Gamma Vård AB"]
    assert await names(actor, country="nl") == ["Alpha Zorg B.V.", "beta thuiszorg", "Delta 100% Zorg"]
    assert await names(actor, legal_form="stichting") == ["beta thuiszorg"]
    assert await names(actor, status="suspended") == ["beta thuiszorg"]
    assert await names(actor, status="active", country="NL", q="zorg") == [
        "Alpha Zorg B.V.",
        "Delta 100% Zorg",
    ]


async def test_the_list_sorts_by_name_country_and_registration_date_both_ways():
    actor = await sample()
    by_name = ["Alpha Zorg B.V.", "beta thuiszorg", "Delta 100% Zorg", "Gamma Vård AB"]
    assert await names(actor) == by_name
    assert await names(actor, sort="-name") == list(reversed(by_name))
    assert (await names(actor, sort="-country"))[0] == "Gamma Vård AB"
    assert (await names(actor, sort="country"))[-1] == "Gamma Vård AB"
    assert await names(actor, sort="created") == [
        "beta thuiszorg",
        "Gamma Vård AB",
        "Alpha Zorg B.V.",
        "Delta 100% Zorg",
    ]
    assert (await names(actor, sort="-created"))[0] == "Delta 100% Zorg"
    assert await names(actor, sort="password") == by_name  # an unknown sort falls back to the name


async def test_the_list_has_pages_of_25_and_counts_every_match():
    for i in range(30):
        await factories.organisation(name=f"Praktijk {i:02d}")
    await factories.organisation(
        name="Elsewhere AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
    )
    actor = await admin_actor()
    first = await organisation_search.list_organisations(actor, OrganisationQuery.parse(q="praktijk"))
    assert (first.total, first.pages, len(first.items)) == (30, 2, 25)
    assert first.items[0]["name"] == "Praktijk 00" and first.has_next and not first.has_previous
    second = await organisation_search.list_organisations(
        actor, OrganisationQuery.parse(q="praktijk", page="2")
    )
    assert [r["name"] for r in second.items] == [f"Praktijk {i}" for i in range(25, 30)]
    assert second.has_previous and not second.has_next
    beyond = await organisation_search.list_organisations(
        actor, OrganisationQuery.parse(q="praktijk", page=9)
    )
    assert beyond.page == 2
    nonsense = await organisation_search.list_organisations(actor, OrganisationQuery.parse(page="abc"))
    assert nonsense.page == 1 and nonsense.total == 31


async def test_the_totals_without_a_search_follow_every_change_of_the_organisations():
    # Over a page of each kind, so that no total can be read off the page itself.
    dutch = [await factories.organisation() for _ in range(27)]
    for _ in range(26):
        await factories.organisation(
            country="SE",
            legal_form="aktiebolag",
            kvk_number=None,
            agb_code=None,
            org_number=factories.personnummer(),
        )
    actor = await admin_actor()

    async def total(**filters: str) -> int:
        found = await organisation_search.list_organisations(actor, OrganisationQuery.parse(**filters))
        return found.total

    assert await total() == 53
    assert await total(country="NL") == 27
    assert await total(country="SE", legal_form="aktiebolag") == 26

    await organisations.suspend_organisation(actor, dutch[0]["id"], "Unpaid")
    await organisations.suspend_organisation(actor, dutch[1]["id"], "Unpaid")
    await organisations.reactivate_organisation(actor, dutch[1]["id"])
    assert await total(status="active") == 52
    assert await total(country="NL", status="active") == 26
    assert await total() == 53

    await organisations.update_organisation(actor, dutch[2]["id"], {"legal_form": "stichting"})
    await organisations.update_organisation(actor, dutch[3]["id"], {"name": "Renamed B.V."})
    assert await total(country="NL", legal_form="bv") == 26
    assert await total(country="NL", legal_form="bv", status="active") == 25

    # An addition that is rolled back is not counted; a removal is.
    with pytest.raises(RuntimeError):
        async with Organisation._meta.db.transaction():
            await factories.organisation()
            raise RuntimeError("rolled back")
    await Organisation.delete().where(Organisation.id == dutch[26]["id"])
    assert await total() == 52
    assert await total(country="NL") == 26


async def test_only_vendor_admins_list_organisations():
    org = await factories.organisation()
    for role in ("contact_person", "end_user"):
        with pytest.raises(Forbidden):
            await organisation_search.list_organisations(await member_actor(org, role))


# --- suspending --------------------------------------------------------------------------------


async def test_suspending_keeps_the_data_and_is_audited_with_the_reason():
    org = await factories.organisation()
    user = await factories.member(org)
    actor = await admin_actor()

    row = await organisations.suspend_organisation(actor, org["id"], "Invoices unpaid since May")

    assert row["status"] == "suspended"
    assert await Membership.exists().where(Membership.id == user["id"]).where(Membership.active.eq(True))
    assert await Person.exists().where(Person.id == user["person"])
    entry = await audit_entry("tenants.organisation_suspended")
    assert entry["organisation_id"] == org["id"]
    assert entry["before"] == {"status": "active"}
    assert entry["after"] == {"status": "suspended", "reason": "Invoices unpaid since May"}

    again = await organisations.suspend_organisation(actor, org["id"])
    assert again["status"] == "suspended"
    assert (await audit_actions()).count("tenants.organisation_suspended") == 1  # nothing changed

    await organisations.reactivate_organisation(actor, org["id"])
    assert (await audit_actions())[-1] == "tenants.organisation_reactivated"


async def test_only_vendor_admins_suspend_and_reactivate():
    org = await factories.organisation()
    contact = await member_actor(org, "contact_person")
    with pytest.raises(Forbidden):
        await organisations.suspend_organisation(contact, org["id"])
    with pytest.raises(Forbidden):
        await organisations.reactivate_organisation(contact, org["id"])
    assert (await Organisation.select(Organisation.status).where(Organisation.id == org["id"]).first())[
        "status"
    ] == "active"


async def test_a_suspended_organisations_people_cannot_sign_in_until_it_is_reactivated(client):
    org = await factories.organisation(name="Slapende Zorg B.V.")
    user = await factories.member(org)
    actor = await admin_actor()

    await organisations.suspend_organisation(actor, org["id"])
    refused = await sign_in_person(client, user["person_row"])
    assert refused.status_code == 403
    assert "suspended" in text_of(refused.text)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/signin"

    await organisations.reactivate_organisation(actor, org["id"])
    admitted = await sign_in_person(client, user["person_row"])
    assert admitted.status_code in (302, 303)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/organisation"


async def test_suspending_ends_the_sessions_of_people_already_signed_in(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/organisation"

    await organisations.update_organisation(await admin_actor(), org["id"], {"status": "suspended"})

    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/signin"
    assert "tenants.organisation_suspended" in await audit_actions()


# --- contact persons ---------------------------------------------------------------------------


async def test_a_new_contact_person_is_registered_invited_and_audited():
    org = await factories.organisation(name="Zorg Oost B.V.")
    actor = await admin_actor()

    membership = await contact_persons.add_contact_person(
        actor,
        org["id"],
        {"name": "Carla de Vries", "email": "carla@oost.example", "personal_identity_number": "1112.22.333"},
    )

    assert membership["role"] == "contact_person" and membership["active"]
    person = await Person.select().where(Person.id == membership["person"]).first()
    assert person["personal_identity_number"] == VALID_BSN
    entry = await audit_entry("tenants.contact_person_added")
    assert entry["organisation_id"] == org["id"]
    assert entry["after"]["person_created"] is True
    assert VALID_BSN not in str(entry["after"])  # identifiers are masked in the audit log
    invitation = (
        await OutboxMessage.select()
        .where(OutboxMessage.actor_name == "send_invitation")
        .output(load_json=True)
        .first()
    )
    assert invitation["payload"]["membership_id"] == membership["id"]


async def test_the_invitation_of_a_contact_person_arrives_in_the_organisations_language():
    from src.workers.broker import ASYNC_IMPLEMENTATIONS, get_actor

    org = await factories.organisation(name="Zorg Oost B.V.")
    await contact_persons.add_contact_person(
        await admin_actor(),
        org["id"],
        {"name": "Carla de Vries", "email": "carla@oost.example", "personal_identity_number": VALID_BSN},
    )
    message = await OutboxMessage.select().output(load_json=True).first()
    assert get_actor(message["actor_name"])  # the outbox relay can hand it over
    await ASYNC_IMPLEMENTATIONS[message["actor_name"]](**message["payload"], dedupe_key=message["dedupe_key"])
    mail = await CaughtMail.select().first()
    assert mail["recipients"] == "carla@oost.example"
    assert "Zorg Oost B.V." in mail["subject"]


async def test_a_known_person_is_reused_by_personal_identity_number_or_card_id():
    org = await factories.organisation()
    known = await factories.person(personal_identity_number=VALID_BSN, card_id="UZI-123456")
    actor = await admin_actor()
    people_before = await Person.count()

    by_pin = await contact_persons.add_contact_person(
        actor,
        org["id"],
        {"name": "Known", "email": "known@zorg.example", "personal_identity_number": VALID_BSN},
    )
    assert by_pin["person"] == known["id"]

    second_org = await factories.organisation()
    by_card = await contact_persons.add_contact_person(
        actor, second_org["id"], {"name": "Known", "email": "k@zorg.example", "card_id": " uzi-123456 "}
    )
    assert by_card["person"] == known["id"]
    assert await Person.count() == people_before


async def test_a_user_of_the_organisation_becomes_its_contact_person():
    org = await factories.organisation()
    user = await factories.member(org, await factories.person(personal_identity_number=VALID_BSN))
    membership = await contact_persons.add_contact_person(
        await admin_actor(),
        org["id"],
        {"name": "Promoted", "email": "promoted@zorg.example", "personal_identity_number": VALID_BSN},
    )
    assert membership["id"] == user["id"]
    assert membership["role"] == "contact_person" and membership["email"] == "promoted@zorg.example"
    entry = await audit_entry("tenants.contact_person_added")
    assert entry["before"]["role"] == "end_user" and entry["after"]["role"] == "contact_person"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "No Mail", "personal_identity_number": VALID_BSN}, {"email"}),
        ({"name": "Bad Mail", "email": "not-an-address", "personal_identity_number": VALID_BSN}, {"email"}),
        ({"name": "", "email": "x@zorg.example", "personal_identity_number": VALID_BSN}, {"name"}),
        ({"name": "No Id", "email": "x@zorg.example"}, {"personal_identity_number", "card_id"}),
        (
            {"name": "Bad BSN", "email": "x@zorg.example", "personal_identity_number": "123456789"},
            {"personal_identity_number"},
        ),
        (
            {"name": "Swedish number", "email": "x@zorg.example", "personal_identity_number": "198112189876"},
            {"personal_identity_number"},
        ),
        ({"name": "Bad card", "email": "x@zorg.example", "card_id": "a b"}, {"card_id"}),
    ],
)
async def test_a_bad_contact_person_names_the_field_and_stores_nothing(data, fields):
    org = await factories.organisation()
    actor = await admin_actor()
    people_before = await Person.count()
    with pytest.raises(InputError) as refused:
        await contact_persons.add_contact_person(actor, org["id"], data)
    assert set(refused.value.errors) == fields
    assert await Person.count() == people_before
    assert not await Membership.exists().where(Membership.organisation == org["id"])
    assert not await OutboxMessage.exists()


async def test_identifiers_of_two_different_people_are_refused():
    org = await factories.organisation()
    await factories.person(personal_identity_number=VALID_BSN)
    await factories.person(personal_identity_number=None, card_id="UZI-999")
    with pytest.raises(InputError) as refused:
        await contact_persons.add_contact_person(
            await admin_actor(),
            org["id"],
            {
                "name": "Mixed",
                "email": "m@zorg.example",
                "personal_identity_number": VALID_BSN,
                "card_id": "UZI-999",
            },
        )
    assert "card_id" in refused.value.errors
    assert not await Membership.exists().where(Membership.organisation == org["id"])


async def test_someone_who_is_already_contact_person_is_not_added_twice():
    org = await factories.organisation()
    await factories.member(
        org, await factories.person(personal_identity_number=VALID_BSN), role="contact_person"
    )
    with pytest.raises(InputError) as refused:
        await contact_persons.add_contact_person(
            await admin_actor(),
            org["id"],
            {"name": "Again", "email": "again@zorg.example", "personal_identity_number": VALID_BSN},
        )
    assert "already a contact person" in refused.value.errors["personal_identity_number"]


async def test_a_swedish_contact_person_signs_in_with_a_personnummer():
    org = await factories.organisation(
        country="SE", legal_form="aktiebolag", kvk_number=None, agb_code=None, org_number="5560125790"
    )
    membership = await contact_persons.add_contact_person(
        await admin_actor(),
        org["id"],
        {"name": "Sara Lind", "email": "sara@vard.example", "personal_identity_number": "811218-9876"},
    )
    person = await Person.select().where(Person.id == membership["person"]).first()
    assert person["personal_identity_number"] == "198112189876"


async def test_only_vendor_admins_add_contact_persons_here():
    org = await factories.organisation()
    contact = await member_actor(org, "contact_person")
    with pytest.raises(Forbidden):
        await contact_persons.add_contact_person(
            contact,
            org["id"],
            {"name": "X", "email": "x@zorg.example", "personal_identity_number": OTHER_BSN},
        )


def test_the_links_of_a_list_keep_its_search_filters_and_sort_and_leave_defaults_out() -> None:
    query = OrganisationQuery.parse("zorg  west", "nl", "", "active", "-created", "3")
    assert query.params() == {
        "q": "zorg west",
        "country": "NL",
        "status": "active",
        "sort": "-created",
        "page": "3",
    }
    assert query.params(page=4)["page"] == "4"
    assert query.params(sort="name", page=1) == {"q": "zorg west", "country": "NL", "status": "active"}
    assert OrganisationQuery.parse("", "", "", "", "", "").params() == {}
    with pytest.raises(TypeError):
        query.params(colour="red")
