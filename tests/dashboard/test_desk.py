"""The vendor admins' service desk: the overview they land on, the search in the header, an
organisation's users and certificates, and every organisation's certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.certificates.services import applications, overview, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.services.revocation import revoke_certificate
from src.certificates.tables import Certificate, ManualRevocationRequest
from src.core import db, outbox
from src.core.tables import AuditEntry, OutboxMessage
from src.dashboard.services import desk
from src.tenants.services import requests
from tests import factories
from tests.certificates.workflow_support import actor_of, admin_actor, csr_pem, org_with_contact
from tests.signed_in import sign_in_person
from tests.support import text_of


async def issue(org: dict[str, Any], contact: dict[str, Any], name: str, kind: str = "server") -> Any:
    """A certificate issued the way the portal issues it: applied for, then approved."""
    actor = await actor_of(contact)
    applied = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem([name], fresh_key=True), dns_names=[name], holder_membership_id=contact["id"]
        ),
    )
    return (await review.approve(await admin_actor(), applied["id"])).certificate


async def sign_in_admin(client: Any) -> None:
    answer = await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    assert answer.status_code in (302, 303)


# --- the overview -----------------------------------------------------------------------------


async def test_a_vendor_admin_lands_on_an_overview_of_what_waits_with_links_to_the_lists(client):
    org, contact, actor = await org_with_contact(name="Wachtrij Zorg B.V.")
    applied = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(["wacht.zorg.example"], fresh_key=True),
            dns_names=["wacht.zorg.example"],
            holder_membership_id=contact["id"],
        ),
    )
    assert applied["status"] == "pending"
    soon = await issue(org, contact, "soon.zorg.example")
    await Certificate.update({Certificate.not_after: dt.datetime.now(dt.UTC) + dt.timedelta(days=30)}).where(
        Certificate.id == soon.certificate_id
    )
    await issue(org, contact, "later.zorg.example")  # a year left: not expiring
    await requests.create_request(
        actor, org["id"], name="Nieuwe Collega", email="nieuw@zorg.example", card_id="CARD-77"
    )
    await ManualRevocationRequest.insert(
        ManualRevocationRequest(
            certificate_number=soon.number,
            received_via="post",
            received_on=dt.date.today(),
            requester_name="Dirk Directeur",
            reason="key_compromise",
        )
    )
    async with db.transaction():
        await outbox.enqueue("send_mail", {"to": ["a@example.org"], "subject": "Hi", "body": "Hi"}, "desk:1")
    await OutboxMessage.update(
        {OutboxMessage.failed_at: dt.datetime.now(dt.UTC), OutboxMessage.attempts: 5}
    ).where(OutboxMessage.dedupe_key == "desk:1")

    await sign_in_admin(client)
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/admin"
    overview = await client.get("/admin")
    assert overview.status_code == 200
    counts = {c.key: (c.count, c.url) for c in (await desk.overview(await admin_actor()))["counts"]}
    assert counts == {
        "applications": (1, "/admin/certificate-applications?status=pending"),
        "user_requests": (1, "/admin/user-requests"),
        "manual_revocations": (1, "/admin/revocation-requests?status=awaiting"),
        "expiring": (1, "/admin/certificates?status=expiring"),
        "failed_deliveries": (1, "/admin/mail#failed-deliveries"),
    }
    text = text_of(overview.text)
    assert "1 Certificate applications waiting for review" in text
    assert "1 Certificates expiring within 60 days" in text
    for _count, url in counts.values():
        assert f'href="{url}"' in overview.text.replace("&amp;", "&")
    # the list behind the expiring count holds the one certificate
    expiring = text_of((await client.get("/admin/certificates?status=expiring")).text)
    assert soon.number in expiring and "1 certificate" in expiring


# --- the search -------------------------------------------------------------------------------


async def test_the_search_groups_organisations_certificates_and_people(client):
    org, _contact, _actor = await org_with_contact(name="Zoekgroep Noord B.V.")
    await factories.organisation(name="Zoekgroep Zuid B.V.")
    await factories.member(org, name="Noor Zoeker", email="noor@zoekgroep.example")
    await sign_in_admin(client)

    page = await client.get("/admin/search", params={"q": "zoek"})
    assert page.status_code == 200
    assert 'id="found-organisations"' in page.text and 'id="found-people"' in page.text
    text = text_of(page.text)
    assert "Zoekgroep Noord B.V." in text and "Zoekgroep Zuid B.V." in text
    assert "Noor Zoeker" in text and "noor@zoekgroep.example" in text
    assert f'href="/admin/organisations/{org["id"]}"' in page.text
    assert f"/admin/organisations/{org['id']}/users?q=noor%40zoekgroep.example" in page.text
    # the header carries the search box on every admin page, filled in on the results page
    assert 'action="/admin/search"' in page.text and 'value="zoek"' in page.text
    assert 'action="/admin/search"' in (await client.get("/admin/organisations")).text

    nothing = await client.get("/admin/search", params={"q": "bestaat-niet-xyz"})
    assert "Nothing matches" in text_of(nothing.text)


async def test_an_exact_identifier_goes_straight_to_its_page(client):
    dutch = await factories.organisation(name="Exact Zorg B.V.", kvk_number="69599084", agb_code="01234567")
    swedish = await factories.organisation(
        name="Exakt Vård AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
    )
    org, contact, _actor = await org_with_contact(name="Serie Zorg B.V.")
    cert = await issue(org, contact, "serie.zorg.example")
    row = (
        await Certificate.select(Certificate.serial_hex).where(Certificate.id == cert.certificate_id).first()
    )
    serial = row["serial_hex"].upper().rjust(len(row["serial_hex"]) + len(row["serial_hex"]) % 2, "0")
    with_colons = ":".join(serial[i : i + 2] for i in range(0, len(serial), 2))
    await sign_in_admin(client)

    for q, target in [
        ("69599084", f"/admin/organisations/{dutch['id']}"),  # KvK
        ("0123 4567", f"/admin/organisations/{dutch['id']}"),  # AGB
        ("556012-5790", f"/admin/organisations/{swedish['id']}"),  # organisationsnummer with dash
        ("5560125790", f"/admin/organisations/{swedish['id']}"),
        (cert.number.lower(), f"/admin/certificates/{cert.number}"),
        (with_colons, f"/admin/certificates/{cert.number}"),
        (row["serial_hex"], f"/admin/certificates/{cert.number}"),
    ]:
        answer = await client.get("/admin/search", params={"q": q}, follow_redirects=False)
        assert answer.status_code == 303, q
        assert answer.headers["location"] == target, q


# --- an organisation's users and certificates -------------------------------------------------


async def test_an_organisations_users_are_listed_filtered_and_paged_and_the_view_is_audited(client):
    org = await factories.organisation(name="Gebruikers Zorg B.V.")
    for i in range(52):
        await factories.member(org, name=f"Actief {i:02d}", email=f"actief{i}@gebruikers.example")
    await factories.member(org, name="Vertrokken Vera", email="vera@gebruikers.example", active=False)
    await sign_in_admin(client)

    detail = await client.get(f"/admin/organisations/{org['id']}")
    assert f'href="/admin/organisations/{org["id"]}/users?status=active">52 active users</a>' in detail.text
    assert f'href="/admin/organisations/{org["id"]}/certificates"' in detail.text

    base = f"/admin/organisations/{org['id']}/users"
    first = await client.get(base)
    assert first.status_code == 200
    text = text_of(first.text)
    assert "53 users" in text and "Page 1 of 2" in text and "Vertrokken Vera" not in text
    second = await client.get(base, params={"page": "2"})
    assert "Vertrokken Vera" in text_of(second.text)
    inactive = await client.get(base, params={"status": "inactive"})
    assert "1 user" in text_of(inactive.text) and "Vertrokken Vera" in text_of(inactive.text)
    found = await client.get(base, params={"q": "actief7@"}, headers={"HX-Request": "true"})
    assert "<html" not in found.text and "Actief 07" in found.text and "Actief 08" not in found.text

    views = await AuditEntry.select().where(AuditEntry.action == "tenants.organisation_users_viewed")
    # the three pages opened are recorded, with the filter; the htmx search within the list is not
    assert len(views) == 3 and {v["organisation_id"] for v in views} == {org["id"]}
    assert (await client.get("/admin/organisations/999999/users")).status_code == 404


async def test_an_organisations_certificates_are_listed_filtered_and_link_to_their_page(client, monkeypatch):
    org, contact, _actor = await org_with_contact(name="Certificaat Zorg B.V.")
    other, other_contact, _other = await org_with_contact(name="Ander Zorg B.V.")
    valid = await issue(org, contact, "geldig.zorg.example")
    revoked = await issue(org, contact, "ingetrokken.zorg.example")
    expired = await issue(org, contact, "verlopen.zorg.example")
    elsewhere = await issue(other, other_contact, "elders.zorg.example")
    async with db.transaction():
        await revoke_certificate(await admin_actor(), revoked.certificate_id, "organisation_ceased", "portal")
    await Certificate.update({Certificate.not_after: dt.datetime.now(dt.UTC) - dt.timedelta(days=1)}).where(
        Certificate.id == expired.certificate_id
    )
    await sign_in_admin(client)
    base = f"/admin/organisations/{org['id']}/certificates"

    page = await client.get(base)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "3 certificates" in text and elsewhere.number not in text
    assert f'href="/admin/certificates/{valid.number}"' in page.text
    for status, number in [("valid", valid.number), ("revoked", revoked.number), ("expired", expired.number)]:
        answer = text_of((await client.get(base, params={"status": status})).text)
        assert "1 certificate" in answer and number in answer, status
    monkeypatch.setattr(overview, "PAGE_SIZE", 2)
    paged = await client.get(base, params={"page": "2"}, headers={"HX-Request": "true"})
    assert "<html" not in paged.text and "Page 2 of 2" in text_of(paged.text)
    assert await AuditEntry.count().where(AuditEntry.action == "certificates.organisation_list_viewed") == 4
    assert (await client.get("/admin/organisations/999999/certificates")).status_code == 404
    detail = await client.get(f"/admin/certificates/{valid.number}")
    assert detail.status_code == 200 and f'href="/admin/organisations/{org["id"]}"' in detail.text


async def test_every_organisations_certificates_with_search_and_filters(client):
    org, contact, _actor = await org_with_contact(name="Alle Zorg B.V.")
    server = await issue(org, contact, "alle.zorg.example")
    soon = await issue(org, contact, "binnenkort.zorg.example")
    await Certificate.update({Certificate.not_after: dt.datetime.now(dt.UTC) + dt.timedelta(days=10)}).where(
        Certificate.id == soon.certificate_id
    )
    await sign_in_admin(client)

    everything = text_of((await client.get("/admin/certificates")).text)
    assert "2 certificates" in everything and "Alle Zorg B.V." in everything
    within = text_of((await client.get("/admin/certificates", params={"days": "14"})).text)
    assert "1 certificate" in within and soon.number in within
    by_number = text_of((await client.get("/admin/certificates", params={"q": server.number})).text)
    assert "1 certificate" in by_number and server.number in by_number
    personal = text_of((await client.get("/admin/certificates", params={"kind": "personal"})).text)
    assert "No certificate matches this search." in personal
    # what the list cannot read is left out, never a 500
    for params in ({"days": "abc"}, {"days": "-5"}, {"page": "x"}, {"status": "nonsense"}, {"q": "%_\\"}):
        assert (await client.get("/admin/certificates", params=params)).status_code == 200, params


# --- who may ----------------------------------------------------------------------------------


async def test_contact_persons_and_end_users_may_not_use_the_desk(client):
    org, contact, _actor = await org_with_contact(name="Eigen Zorg B.V.")
    end_user = await factories.member(org, name="Eva Eindgebruiker")
    elsewhere = await factories.organisation(name="Elders Zorg B.V.")
    await factories.member(elsewhere, name="Geheime Gerda")
    routes = [
        "/admin",
        "/admin/search?q=zorg",
        f"/admin/organisations/{elsewhere['id']}/users",
        "/admin/certificates",
        f"/admin/organisations/{org['id']}/users",
        f"/admin/organisations/{org['id']}/certificates",
    ]
    for who in (contact, end_user):
        client.cookies.clear()
        await sign_in_person(client, who["person_row"])
        for route in routes:
            answer = await client.get(route, follow_redirects=False)
            assert answer.status_code in (403, 404), (who["name"], route, answer.status_code)
            assert "Geheime Gerda" not in answer.text and "Elders Zorg" not in answer.text


def test_certificate_numbers_and_serials_are_read_as_people_write_them():
    assert overview.number_of(" s-2026-47 ") == "S-2026-000047"
    assert overview.number_of("Zorggroep") == ""
    assert overview.serial_of("0A:1B:2c") == "a1b2c"
    assert overview.serial_of("0x00ff ee") == "ffee"
    assert overview.serial_of("bureau") == ""


async def test_the_people_found_are_paged_in_place(client):
    org = await factories.organisation(name="Veel Mensen B.V.")
    for i in range(21):
        await factories.member(org, name=f"Pagina Persoon {i:02d}", email=f"pagina{i:02d}@veel.example")
    await sign_in_admin(client)

    first = await client.get("/admin/search", params={"q": "pagina"})
    assert "Page 1 of 2" in text_of(first.text) and "Pagina Persoon 19" in first.text
    assert 'hx-get="/admin/search?q=pagina&amp;page=2"' in first.text
    second = await client.get(
        "/admin/search", params={"q": "pagina", "page": "2"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in second.text
    assert 'id="found-people"' in second.text and "Pagina Persoon 20" in second.text
    assert "Pagina Persoon 00" not in second.text
