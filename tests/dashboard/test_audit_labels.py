"""The audit page in the reader's language: actions, objects, fields and coded values labelled,
codes still shown and searchable, unknown codes shown as stored, the CSV keeping the codes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from src.core import audit, db
from src.core.tenancy import Actor
from src.dashboard.services import labels
from src.identity.auth import build_actor
from src.tenants.services import organisations, user_changes
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of

SRC = Path(__file__).resolve().parents[2] / "src"


def rows_of(html: str) -> str:
    match = re.search(r"<tbody>(.*)</tbody>", html, flags=re.S)
    return text_of(match.group(1)) if match else ""


async def contact_actor(org: dict[str, Any]) -> tuple[dict[str, Any], Actor]:
    contact = await factories.member(org, role="contact_person", name="Carla Contact")
    actor = await build_actor(contact["person"], org["id"], "192.0.2.7")
    assert actor is not None
    return contact, actor


async def read_audit(client: Any, person: dict[str, Any], language: str, url: str = "/audit") -> str:
    await sign_in_person(client, person)
    client.cookies.set("lang", language)
    answer = await client.get(url, headers={"accept-language": language})
    assert answer.status_code == 200
    return rows_of(answer.text)


async def a_user_added_promoted_and_a_user_deactivated() -> dict[str, Any]:
    org = await factories.organisation(name="Zorggroep Taal B.V.")
    contact, actor = await contact_actor(org)
    added = await user_changes.add_user(
        actor, org["id"], name="Nina Nieuw", email="nina@zorg.example", card_id="NN-1"
    )
    await user_changes.update_user(actor, org["id"], added["id"], role="contact_person")
    leaver = await factories.member(org, name="Len Leaver")
    await user_changes.update_user(actor, org["id"], leaver["id"], active=False)
    return {"org": org, "contact": contact, "added": added, "leaver": leaver}


async def test_a_contact_person_reads_the_log_in_dutch(client):
    world = await a_user_added_promoted_and_a_user_deactivated()

    rows = await read_audit(client, world["contact"]["person_row"], "nl")

    assert "Gebruiker uitgenodigd" in rows
    assert "Contactpersoon gemaakt" in rows
    assert "Rol : Eindgebruiker → Contactpersoon" in rows
    assert "Gebruiker gedeactiveerd" in rows
    assert "Actief : ja → nee" in rows
    assert "Naam : Nina Nieuw" in rows and "Naam : — →" not in rows  # a new user: no old values
    assert f"Gebruiker #{world['added']['id']}" in rows and f"Gebruiker #{world['leaver']['id']}" in rows
    # the page shows labels only (the CSV keeps the codes; the filter still takes them)
    assert "tenants.user_invited" not in rows and "tenants.user_deactivated" not in rows
    assert "membership #" not in rows and "role :" not in rows


async def test_the_action_filter_matches_codes_and_shows_labels(client):
    world = await a_user_added_promoted_and_a_user_deactivated()

    rows = await read_audit(client, world["contact"]["person_row"], "nl", "/audit?action=tenants.user_deact")

    assert "Gebruiker gedeactiveerd" in rows
    assert "Gebruiker uitgenodigd" not in rows and "Contactpersoon gemaakt" not in rows


async def test_a_contact_person_reads_the_log_in_swedish(client):
    world = await a_user_added_promoted_and_a_user_deactivated()

    rows = await read_audit(client, world["contact"]["person_row"], "sv")

    assert "Användare inaktiverad" in rows
    assert "Aktiv : ja → nej" in rows
    assert "Roll : Slutanvändare → Kontaktperson" in rows
    assert f"Användare #{world['leaver']['id']}" in rows


async def test_a_contact_person_reads_the_log_in_english(client):
    world = await a_user_added_promoted_and_a_user_deactivated()

    rows = await read_audit(client, world["contact"]["person_row"], "en")

    assert "Made contact person" in rows
    assert "Role : End user → Contact person" in rows
    assert "User deactivated" in rows and "Active : yes → no" in rows
    assert "E-mail address : nina@zorg.example" in rows


async def test_a_vendor_admin_reads_organisation_changes_with_labelled_values(client):
    org = await factories.organisation(name="Zorggroep Vorm B.V.", legal_form="bv")
    admin = await factories.vendor_admin()
    actor = Actor(person_id=admin["id"], name=admin["name"], is_vendor_admin=True)
    await organisations.update_organisation(actor, org["id"], {"legal_form": "stichting"})
    await organisations.suspend_organisation(actor, org["id"], reason="Ceased trading")

    await sign_in_person(client, admin, provider="staff")
    client.cookies.set("lang", "en")
    rows = rows_of((await client.get("/audit", headers={"accept-language": "en"})).text)

    assert "Organisation changed" in rows
    assert "Legal form : Besloten vennootschap (B.V.) → Stichting (foundation)" in rows
    assert "Organisation suspended" in rows
    assert "Status : Active → Suspended" in rows
    assert "Reason : Ceased trading" in rows  # free text stays as written
    assert f"Organisation #{org['id']}" in rows


async def test_a_signed_agreement_names_its_documents_not_their_digests(client):
    org = await factories.organisation()
    contact, actor = await contact_actor(org)
    digest = "ab" * 32
    document = {"id": 1, "kind": "customer_agreement", "version": "2", "title": "Klantovereenkomst"}
    async with db.transaction():
        await audit.record(
            actor,
            "agreements.signed",
            organisation_id=org["id"],
            object_type="agreement_acceptance",
            object_id=3,
            after={"documents": [{**document, "sha256": {"nl": digest}}], "pdf_sha256": digest},
        )

    rows = await read_audit(client, contact["person_row"], "en")

    assert "Klantovereenkomst, version 2" in rows
    assert digest not in rows.split("SHA-256 of the signed copy")[0]


async def test_a_certificate_subject_is_not_called_a_mail_subject(client):
    org = await factories.organisation()
    contact, actor = await contact_actor(org)
    async with db.transaction():
        await audit.record(
            actor,
            "certificates.issued",
            organisation_id=org["id"],
            object_type="certificate",
            object_id=4,
            after={"subject": "CN=portal.zorg.example"},
        )
        await audit.record(
            actor,
            "rights.module_message_sent",
            organisation_id=org["id"],
            object_type="service_module",
            object_id=5,
            after={"subject": "Onderhoud zaterdag"},
        )

    rows = await read_audit(client, contact["person_row"], "nl")

    assert "Onderwerp (distinguished name) : CN=portal.zorg.example" in rows
    assert "Onderwerp : Onderhoud zaterdag" in rows


async def test_unknown_actions_fields_and_values_are_shown_as_stored(client):
    org = await factories.organisation()
    contact, actor = await contact_actor(org)
    async with db.transaction():
        await audit.record(
            actor,
            "gadgets.future_thing",
            organisation_id=org["id"],
            object_type="gadget",
            object_id=7,
            before={"colour": "blue", "role": "superhero", "status": "hibernating"},
            after={"colour": "green", "role": "end_user", "status": "active"},
        )

    rows = await read_audit(client, contact["person_row"], "nl")

    assert "gadgets.future_thing" in rows
    assert "gadget #7" in rows
    assert "colour : blue → green" in rows
    assert "Rol : superhero → Eindgebruiker" in rows
    assert "Status : hibernating → Actief" in rows


def written_action_codes() -> set[str]:
    """Every action code the code base passes to audit.record, literal or computed.

    A computed action (a variable, a helper) is built from literals in the same file: those are
    collected there, for the prefixes the literal actions use."""
    call = re.compile(r"audit\.record\(\s*[^,]+,\s*(.*?),\s*organisation_id=", re.S)
    code = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")
    literal: set[str] = set()
    computed: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        calls = call.findall(text)
        assert len(calls) == text.count("audit.record("), f"an audit.record call in {path} was not read"
        for argument in calls:
            found = code.findall(argument)
            if found:
                literal.update(found)
            else:
                computed.append(text)
    prefixes = {c.split(".", 1)[0] for c in literal}
    built = {c for text in computed for c in code.findall(text) if c.split(".", 1)[0] in prefixes}
    return literal | built


def test_every_action_the_code_writes_has_a_label():
    codes = written_action_codes()
    # the scan finds literal, conditional and computed actions
    assert {
        "tenants.user_invited",
        "tenants.invitation_declined",
        "tenants.organisation_reactivated",
        "tenants.user_deactivated",
        "tenants.contact_person_made",
        "rights.signing_withdrawn",
        "outbox.delivery_resent",
    } <= codes
    assert len(codes) >= 45
    assert sorted(c for c in codes if not labels.has_action_label(c)) == []


async def test_the_csv_keeps_the_stored_codes_and_values(client):
    world = await a_user_added_promoted_and_a_user_deactivated()
    await sign_in_person(client, world["contact"]["person_row"])
    client.cookies.set("lang", "en")

    answer = await client.get("/audit.csv?action=tenants.", headers={"accept-language": "en"})

    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Time (UTC)",
        "Organisation id",
        "Organisation",
        "Person number",
        "Who",
        "Action",
        "Object",
        "Object number",
        "Changes",
        "Before",
        "After",
        "Client address",
    ]
    by_action = {row[5]: row for row in rows[1:]}
    assert set(by_action) == {
        "tenants.user_invited",
        "tenants.contact_person_made",
        "tenants.user_deactivated",
    }
    deactivated = by_action["tenants.user_deactivated"]
    assert deactivated[6:9] == ["membership", str(world["leaver"]["id"]), "active: yes → no"]
    assert deactivated[9:11] == ['{"active": true}', '{"active": false}']
    assert by_action["tenants.contact_person_made"][8] == "role: end_user → contact_person"
    assert "role: — → end_user" in by_action["tenants.user_invited"][8]
