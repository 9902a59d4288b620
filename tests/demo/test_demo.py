"""The demo data `make run` loads, and the local OpenID provider's users that sign the demo people in."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from src import demo
from src.cli import main
from src.core import clock
from src.core.tables import AuditEntry, OutboxMessage
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.identity.services import resolve_sign_in
from src.settings import IdentityProvider
from src.subscriptions.services import pricing, subscriptions, terms
from src.subscriptions.services.subscriptions import subscribed_service_codes
from src.subscriptions.tables import Subscription
from src.tenants import legal_forms, validation
from src.tenants.services import agreement_documents, agreements, entitlements, rights
from src.tenants.tables import (
    AgreementAcceptance,
    AgreementDocument,
    LegacyTermsNotice,
    Membership,
    ModuleRight,
    Organisation,
    Person,
)
from tests import oidc_support, signed_in
from tests.support import text_of

HSA_ID = re.compile(r"^SE\d{10}-[0-9A-Z]{4,}$")


async def _counts() -> dict[str, Any]:
    return {
        "organisations": await Organisation.count(),
        "people": await Person.count(),
        "memberships": await Membership.count(),
        "audit": await AuditEntry.count(),
        "outbox": await OutboxMessage.count(),
        "documents": await AgreementDocument.count(),
        "acceptances": await AgreementAcceptance.count(),
        "notices": await LegacyTermsNotice.count(),
        "subscriptions": await Subscription.count(),
        "rights": await ModuleRight.count(),
        "membership_rows": await Membership.select().order_by(Membership.id),
        "right_rows": await ModuleRight.select().order_by(ModuleRight.id),
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


async def _membership(org: dict[str, Any], sub: str) -> dict[str, Any]:
    person = demo.person_by_sub(sub)
    row = (
        await Membership.select()
        .where(Membership.organisation == org["id"])
        .where(
            Membership.person._.personal_identity_number == person.personal_identity_number
            if person.personal_identity_number
            else Membership.person._.card_id == person.card_id
        )
        .first()
    )
    assert row is not None, sub
    return row


async def _actor(org: dict[str, Any], sub: str) -> Any:
    membership = await _membership(org, sub)
    actor = await build_actor(membership["person"], org["id"], "127.0.0.1")
    assert actor is not None
    return actor


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
    assert after_first["documents"] == 3 and after_first["acceptances"] == 2
    assert after_first["subscriptions"] == 4 and after_first["notices"] == 1
    assert "nothing changed" in second.summary()


async def test_a_second_seed_keeps_what_was_changed_in_the_running_demo() -> None:
    await demo.seed()
    linde = await _org("bv")
    [subscription] = (
        await Subscription.select(Subscription.id)
        .where(Subscription.organisation == linde["id"])
        .where(Subscription.service._.code == "uzi_server_certificate")
    )
    admin = Actor(person_id=0, name="test", is_vendor_admin=True)
    await subscriptions.end_subscription(admin, linde["id"], subscription["id"])
    thijs = await _membership(linde, "thijs.meijer")
    await ModuleRight.delete().where(ModuleRight.membership == thijs["id"])
    assert not (await demo.seed()).anything_created
    assert await subscribed_service_codes(linde["id"]) == {"procurement_portal", "business_internet"}
    assert not await ModuleRight.exists().where(ModuleRight.membership == thijs["id"])


def test_seed_demo_command_is_idempotent() -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["seed-demo"])
    second = runner.invoke(main, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "3 organisations, 11 people, 10 memberships" in first.output
    assert "3 agreement documents published, 2 agreements signed, 4 subscriptions" in first.output
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
        ("femke.hendriks", "staff", "/admin"),
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


async def test_the_demo_publishes_the_customer_agreement_in_three_languages() -> None:
    # rule AG-9: general terms, processor agreement and service descriptions
    await demo.seed()
    documents = await agreement_documents.latest_documents()
    assert [d["kind"] for d in documents] == list(agreement_documents.KINDS)
    for d in documents:
        texts = {d[f"text_{loc}"] for loc in ("nl", "sv", "en")}
        assert len(texts) == 3 and all(texts), d["kind"]
        assert d["effective_on"] <= d["accept_by"]
    general = next(d for d in documents if d["kind"] == "general_terms")
    assert "Dutch law" in general["text_en"] and "Nederlands recht" in general["text_nl"]


async def test_the_dutch_care_provider_has_signed_subscribes_and_grants_rights() -> None:
    # rules AG-1, MOD-1, MOD-2
    await demo.seed()
    linde = await _org("bv")
    eva = await _actor(linde, "eva.janssen")
    status = await agreements.agreement_status(eva, linde["id"])
    assert status.status == agreements.CURRENT
    assert status.latest is not None and status.latest["signer_name"] == "Eva Janssen"
    signer = await _membership(linde, "eva.janssen")
    assert signer["role"] == "contact_person" and signer["may_sign_agreements"]
    # business internet runs until its cancellation takes effect, three months from today
    assert await subscribed_service_codes(linde["id"]) == {
        "procurement_portal",
        "uzi_server_certificate",
        "business_internet",
    }
    internet = await subscriptions.list_subscriptions(eva, linde["id"])
    cancelled = next(s for s in internet if s["service_code"] == "business_internet")
    assert cancelled["next_change"]["kind"] == "cancel"
    assert cancelled["ends_on"] == terms.notice_ends_on(clock.today("NL"))
    assert [p["monthly_price_cents"] for p in await pricing.announced_for(eva, linde["id"])] == [2750]
    matrix = await rights.matrix(eva, linde["id"])
    assert [m["code"] for m in matrix["modules"]] == [
        "general",
        "requests",
        "contracting",
        "negotiation",
        "compliance",
    ]
    assert matrix["signers"] == [signer["id"]]  # one signing right, in the contracting module
    holders = {membership for membership, _module in matrix["cells"]}
    assert holders == {u["id"] for u in matrix["users"]}  # every user has a right somewhere
    assert await entitlements.banners_for(eva) == []


async def test_the_aktiebolag_has_not_signed_and_its_people_see_the_banner() -> None:
    # rules AG-1, AG-5: no agreement, no subscription, and the procurement portal's legacy terms end
    await demo.seed()
    bjorken = await _org("aktiebolag")
    karin = await _actor(bjorken, "karin.johansson")
    status = await agreements.agreement_status(karin, bjorken["id"])
    assert status.status == agreements.NONE and len(status.pending) == 3
    assert await agreements.may_sign(karin, bjorken["id"])  # the documents wait for her signature
    assert await subscribed_service_codes(bjorken["id"]) == set()
    for sub in ("karin.johansson", "erik.andersson"):
        [banner] = await entitlements.banners_for(await _actor(bjorken, sub))
        assert banner["link"] == "/organisation/agreement"
        assert "no customer agreement and no subscription" in banner["title"]


async def test_the_sole_proprietorship_has_signed_and_has_one_subscription() -> None:
    await demo.seed()
    firma = await _org("enskild_firma")
    assert await Subscription.count().where(Subscription.organisation == firma["id"]) == 1
    assert await subscribed_service_codes(firma["id"]) == {"webcert"}
    assert await agreements.has_valid_agreement(
        Actor(person_id=0, name="check", organisation_id=firma["id"]), firma["id"]
    )


async def test_the_demo_pages_show_agreement_subscriptions_rights_and_banner(client: Any) -> None:
    await demo.seed()
    claims_of = dict(demo.demo_user_claims())
    await signed_in.sign_in(client, claims_of["eva.janssen"], "eid")
    agreement = text_of((await client.get("/organisation/agreement")).text)
    assert "Signed" in agreement and "Eva Janssen" in agreement
    subscriptions = text_of((await client.get("/organisation/subscriptions")).text)
    assert "Care procurement portal" in subscriptions and "UZI server certificates" in subscriptions
    matrix = text_of((await client.get("/organisation/rights")).text)
    assert "Contracting" in matrix and "Thijs Meijer" in matrix
    client.cookies.clear()

    await signed_in.sign_in(client, claims_of["karin.johansson"], "card")
    agreement = text_of((await client.get("/organisation/agreement")).text)
    assert "Not signed" in agreement and "Sign the customer agreement" in agreement
    banners = text_of((await client.get("/banners")).text)
    assert "no customer agreement and no subscription" in banners
