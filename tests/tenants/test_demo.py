"""The demo data `make run` loads, and the local OpenID provider's users that sign the demo people in."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from src.cli import main
from src.core.tables import AuditEntry
from src.identity.services import resolve_sign_in
from src.settings import IdentityProvider
from src.tenants import demo, legal_forms, validation
from src.tenants.tables import Membership, Organisation, Person
from tests import oidc_support

HSA_ID = re.compile(r"^SE\d{10}-[0-9A-Z]{4,}$")


async def _counts() -> dict[str, int]:
    return {
        "organisations": await Organisation.count(),
        "people": await Person.count(),
        "memberships": await Membership.count(),
        "audit": await AuditEntry.count(),
    }


async def _members(org: dict[str, Any]) -> list[dict[str, Any]]:
    return await Membership.select(
        Membership.role,
        Membership.email,
        Membership.person.name.as_alias("person_name"),
        Membership.person.email.as_alias("person_email"),
        Membership.person.personal_identity_number.as_alias("pin"),
        Membership.person.card_id.as_alias("card_id"),
    ).where(Membership.organisation == org["id"])


async def _org(legal_form: str) -> dict[str, Any]:
    row = await Organisation.select().where(Organisation.legal_form == legal_form).first()
    assert row is not None
    return row


async def test_seeding_twice_changes_nothing_the_second_time() -> None:
    first = await demo.seed()
    after_first = await _counts()
    second = await demo.seed()
    assert first.anything_created and not second.anything_created
    assert await _counts() == after_first
    assert after_first["organisations"] == 3
    assert after_first["people"] == 11
    assert after_first["memberships"] == 10
    assert "nothing changed" in second.summary()


def test_seed_demo_command_is_idempotent() -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["seed-demo"])
    second = runner.invoke(main, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "3 organisations, 11 people, 10 memberships" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output


async def test_every_demo_identifier_passes_validation() -> None:
    await demo.seed()
    for org in await Organisation.select():
        assert org["legal_form"] in legal_forms.LEGAL_FORMS[org["country"]]
        if org["country"] == "NL":
            assert validation.kvk_number(org["kvk_number"]) == org["kvk_number"]
            assert validation.agb_code(org["agb_code"]) == org["agb_code"]
            assert org["org_number"] is None
        else:
            sole = legal_forms.is_sole_proprietorship(org["legal_form"])
            assert validation.org_number(org["org_number"], sole_proprietorship=sole) == org["org_number"]
            assert org["kvk_number"] is None and org["agb_code"] is None
        assert org["billing_address"] and org["postal_address"]
        for m in await _members(org):
            assert m["email"] == m["person_email"] and "@" in m["email"]  # rule MOD-3
            if m["pin"]:
                assert validation.personal_identity_number(m["pin"], org["country"]) == m["pin"]
            if m["card_id"]:
                assert HSA_ID.match(m["card_id"])
    admin = await Person.select().where(Person.is_vendor_admin.eq(True)).first()
    assert admin is not None and validation.bsn(admin["personal_identity_number"])


async def test_dutch_care_provider_has_two_contact_persons_and_four_end_users() -> None:
    await demo.seed()
    bv = await _org("bv")
    roles = sorted(m["role"] for m in await _members(bv))
    assert roles == ["contact_person"] * 2 + ["end_user"] * 4
    assert bv["kvk_number"] and bv["agb_code"]


async def test_enskild_firma_org_number_is_the_owners_personnummer() -> None:
    # rule AG-4: a sole proprietorship's organisationsnummer is the owner's personal identity number
    await demo.seed()
    firma = await _org("enskild_firma")
    [owner] = await _members(firma)
    assert owner["role"] == "contact_person"
    assert firma["org_number"] == owner["pin"]
    assert validation.personnummer(owner["pin"]) == owner["pin"]


async def test_aktiebolag_users_have_card_ids_and_no_personal_numbers() -> None:
    await demo.seed()
    ab = await _org("aktiebolag")
    members = await _members(ab)
    assert sorted(m["role"] for m in members) == ["contact_person", "end_user", "end_user"]
    for m in members:
        assert m["pin"] is None
        assert HSA_ID.match(m["card_id"]), m["card_id"]


async def test_each_demo_person_is_recognised_by_the_provider_the_instructions_name() -> None:
    """The provider list run-demo configures plus the provider's user claims match the stored people."""
    await demo.seed()
    providers = {
        p.name: p for p in (IdentityProvider.from_dict(d) for d in demo.demo_providers("http://127.0.0.1:1"))
    }
    assert {p.kind for p in providers.values()} == {"eid", "smartcard"} and providers["staff"].staff
    claims_of = dict(demo.demo_user_claims())
    assert set(claims_of) == {p.sub for p in demo.PEOPLE}
    for person in demo.PEOPLE:
        result = await resolve_sign_in(providers[person.provider], claims_of[person.sub])
        assert result.may_enter, person.sub
        assert result.person is not None and result.person["name"] == person.name
        expected = {org.name for org in demo.ORGANISATIONS if any(s == person.sub for s, _ in org.members)}
        assert {o["organisation_name"] for o in result.organisations} == expected
    # A person who is not vendor staff is refused by the staff provider.
    assert not (await resolve_sign_in(providers["staff"], claims_of["eva.janssen"])).may_enter


async def test_demo_people_sign_in_through_a_real_provider(client: Any) -> None:
    """The demo claims, handed out by a running oidc-provider-mock, take each kind of person in."""
    await demo.seed()
    claims_of = dict(demo.demo_user_claims())
    for sub, provider, home in (
        ("femke.hendriks", "staff", "/admin/organisations"),
        ("eva.janssen", "eid", "/organisation"),
        ("ingrid.lindqvist", "eid", "/organisation"),
        ("karin.johansson", "card", "/organisation"),
    ):
        answer = await oidc_support.sign_in(client, f"demo-{sub}", claims_of[sub], provider)
        assert answer.status_code == 302, answer.text
        landing = await client.get("/", follow_redirects=False)
        assert landing.headers["location"] == home, sub
        client.cookies.clear()


def test_instructions_name_every_demo_person_and_where_to_go() -> None:
    text = demo.sign_in_instructions(
        "http://127.0.0.1:8000", "http://127.0.0.1:8001", demo.demo_providers("http://127.0.0.1:8001")
    )
    assert "http://127.0.0.1:8000/signin" in text
    for person in demo.PEOPLE:
        assert person.name in text and f"subject: {person.sub}" in text
    assert "Sign in with your smart card" in text and "Vendor staff" in text


def test_demo_users_are_predefined_on_the_provider() -> None:
    users = demo.demo_users()
    assert [u.sub for u in users] == [p.sub for p in demo.PEOPLE]
    assert all(demo.EID_CLAIM in u.claims or demo.CARD_CLAIM in u.claims for u in users)
