"""The audit log page: who reads which rows, filters, pages, the diff, the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest

from src.core import audit, db
from src.core.tables import AuditEntry
from src.core.tenancy import Actor
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of


def actor_for(person: dict[str, Any], org: dict[str, Any] | None = None, **fields: Any) -> Actor:
    return Actor(
        person_id=person["id"],
        name=person["name"],
        organisation_id=org["id"] if org else None,
        client_address="192.0.2.7",
        **fields,
    )


async def record(actor: Actor, action: str, org: dict[str, Any] | None, **fields: Any) -> None:
    async with db.transaction():
        await audit.record(actor, action, organisation_id=org["id"] if org else None, **fields)


def rows_of(html: str) -> str:
    """The visible text of the table's rows (not the filter suggestions)."""
    match = re.search(r"<tbody>(.*)</tbody>", html, flags=re.S)
    return text_of(match.group(1)) if match else ""


async def two_organisations() -> dict[str, Any]:
    alpha = await factories.organisation(name="Alpha Zorg B.V.")
    beta = await factories.organisation(name="Beta Zorg B.V.")
    alpha_contact = await factories.member(alpha, role="contact_person")
    alpha_user = await factories.member(alpha)
    beta_contact = await factories.member(beta, role="contact_person")
    await record(
        actor_for(alpha_contact["person_row"], alpha, role="contact_person"),
        "tenants.user.updated",
        alpha,
        object_type="membership",
        object_id=alpha_user["id"],
        before={"email": "old@alpha.example", "role": "end_user"},
        after={"email": "new@alpha.example", "role": "end_user"},
    )
    await record(
        actor_for(beta_contact["person_row"], beta, role="contact_person"),
        "tenants.user.deactivated",
        beta,
        object_type="membership",
        object_id=beta_contact["id"],
        before={"active": True},
        after={"active": False},
    )
    return {"alpha": alpha, "beta": beta, "alpha_contact": alpha_contact, "alpha_user": alpha_user}


async def test_a_vendor_admin_reads_every_organisations_rows_newest_first(client):
    world = await two_organisations()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    answer = await client.get("/audit")

    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Alpha Zorg B.V." in text and "Beta Zorg B.V." in text
    assert text.index("tenants.user.deactivated") < text.index("tenants.user.updated")  # newest first
    # before/after as a readable diff: field: old → new
    assert "E-mail address : old@alpha.example → new@alpha.example" in text
    assert "Active : yes → no" in text
    assert "192.0.2.7" in text
    assert f"User #{world['alpha_user']['id']}" in text


async def test_a_contact_person_reads_only_their_own_organisations_rows(client):
    world = await two_organisations()
    await sign_in_person(client, world["alpha_contact"]["person_row"])

    answer = await client.get("/audit")
    assert answer.status_code == 200
    assert "tenants.user.updated" in rows_of(answer.text)
    assert "tenants.user.deactivated" not in rows_of(answer.text)  # Beta's row
    # asking for another organisation changes nothing
    other = await client.get(f"/audit?organisation=%23{world['beta']['id']}")
    assert "tenants.user.deactivated" not in rows_of(other.text)
    assert "tenants.user.updated" in rows_of(other.text)
    export = await client.get("/audit.csv")
    assert "tenants.user.updated" in export.text
    assert "tenants.user.deactivated" not in export.text


async def test_an_end_user_may_not_read_the_audit_log(client):
    world = await two_organisations()
    await sign_in_person(client, world["alpha_user"]["person_row"])
    assert (await client.get("/audit")).status_code == 403
    assert (await client.get("/audit.csv")).status_code == 403


async def test_without_signing_in_the_audit_log_asks_to_sign_in(client):
    answer = await client.get("/audit", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/signin")


async def test_filters_narrow_the_rows_and_htmx_gets_only_the_table(client):
    world = await two_organisations()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    by_org = await client.htmx("GET", "/audit?organisation=Beta")
    assert by_org.status_code == 200
    assert "<html" not in by_org.text and "<table" in by_org.text  # the partial only
    assert "tenants.user.deactivated" in rows_of(by_org.text)
    assert "tenants.user.updated" not in rows_of(by_org.text)

    by_action = await client.htmx("GET", "/audit?action=tenants.user.upd")
    assert "tenants.user.updated" in rows_of(by_action.text)
    assert "tenants.user.deactivated" not in rows_of(by_action.text)

    name = world["alpha_contact"]["person_row"]["name"]
    by_person = await client.htmx("GET", "/audit", params={"person": name.upper()})
    assert "tenants.user.updated" in rows_of(by_person.text)
    assert "tenants.user.deactivated" not in rows_of(by_person.text)

    by_number = await client.htmx("GET", "/audit?organisation=" + world["alpha"]["kvk_number"])
    assert "tenants.user.updated" in rows_of(by_number.text)
    assert "tenants.user.deactivated" not in rows_of(by_number.text)

    nothing = await client.htmx("GET", "/audit?organisation=Gamma")
    assert "No audit entries match these filters." in text_of(nothing.text)


async def test_a_swedish_organisationsnummer_finds_its_organisations_rows(client):
    """A 10- or 12-digit number is no id (ids end at 2**31 - 1): it is looked up as a number
    of the organisation, and a number no row can have finds nothing instead of failing."""
    await two_organisations()
    swedish = await factories.organisation(
        name="Vårdcentralen Test AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5566778899",
    )
    contact = await factories.member(swedish, role="contact_person")
    await record(
        actor_for(contact["person_row"], swedish, role="contact_person"),
        "tenants.user.reactivated",
        swedish,
        object_type="membership",
        object_id=contact["id"],
        before={"active": False},
        after={"active": True},
    )
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    for typed in ("5566778899", "556677-8899"):
        found = await client.htmx("GET", "/audit", params={"organisation": typed})
        assert found.status_code == 200
        assert "tenants.user.reactivated" in rows_of(found.text)
        assert "tenants.user.updated" not in rows_of(found.text)

    for filters in (
        {"organisation": "#99999999999999999999"},
        {"organisation": "99999999999999999999"},
        {"person": "#99999999999999999999"},
    ):
        nothing = await client.htmx("GET", "/audit", params=filters)
        assert nothing.status_code == 200
        assert "No audit entries match these filters." in text_of(nothing.text)


async def test_the_date_range_is_read_in_the_viewers_time_zone(client):
    org = await factories.organisation(name="Gamma Zorg B.V.")
    contact = await factories.member(org, role="contact_person")
    # 23:30 UTC on 14 January is 00:30 on 15 January in Amsterdam.
    late = dt.datetime(2026, 1, 14, 23, 30, tzinfo=dt.UTC)
    early = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)
    for at, action in ((early, "test.early"), (late, "test.late")):
        await AuditEntry.insert(AuditEntry(at=at, action=action, organisation_id=org["id"], actor_label="x"))
    await sign_in_person(client, contact["person_row"])

    answer = await client.get("/audit?from=2026-01-15&to=2026-01-15")
    assert "test.late" in rows_of(answer.text)
    assert "test.early" not in rows_of(answer.text)
    assert "00:30" in text_of(answer.text)  # shown in the organisation's time zone

    day_before = await client.get("/audit?from=2026-01-14&to=2026-01-14")
    assert "test.early" in rows_of(day_before.text) and "test.late" not in rows_of(day_before.text)


async def test_times_follow_the_viewers_language(client):
    org = await factories.organisation(name="Delta Zorg B.V.")
    contact = await factories.member(org, role="contact_person")
    at = dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC)
    await AuditEntry.insert(AuditEntry(at=at, action="test.one", organisation_id=org["id"], actor_label="x"))
    await sign_in_person(client, contact["person_row"])

    client.cookies.set("lang", "nl")
    dutch = text_of((await client.get("/audit", headers={"accept-language": "nl"})).text)
    assert "2 mrt 2026, 10:05 CET" in dutch  # the Dutch date-time format, Amsterdam time (UTC+1)


async def test_a_bad_date_is_named_next_to_its_field_and_ignored(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await record(actor_for(contact["person_row"], org), "test.kept", org)
    await sign_in_person(client, contact["person_row"])

    answer = await client.get("/audit?from=15-01-2026")
    assert answer.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in text_of(answer.text)
    assert "test.kept" in rows_of(answer.text)

    backwards = await client.htmx("GET", "/audit?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 200  # htmx swaps only 2xx answers
    assert "The end date lies before the start date." in text_of(backwards.text)


@pytest.mark.parametrize(
    ("field", "day"), [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "2201-01-01")]
)
async def test_a_date_out_of_range_is_named_on_the_page_and_refused_by_the_export(client, field, day):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await record(actor_for(contact["person_row"], org), "test.kept", org)
    await sign_in_person(client, contact["person_row"])

    answer = await client.get(f"/audit?{field}={day}")
    assert answer.status_code == 422
    assert "Enter a date between 1900-01-01 and 2200-12-31." in text_of(answer.text)
    assert "test.kept" in rows_of(answer.text)

    export = await client.get(f"/audit.csv?{field}={day}")
    assert export.status_code == 400
    assert "Enter a date between 1900-01-01 and 2200-12-31." in text_of(export.text)
    assert not await AuditEntry.exists().where(AuditEntry.action == "audit.exported")


async def test_pages_hold_fifty_rows_newest_first(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n in range(120):
        await AuditEntry.insert(
            AuditEntry(
                at=start + dt.timedelta(minutes=n),
                action="test.bulk",
                object_type="row",
                object_id=str(n),
                organisation_id=org["id"],
                actor_label="x",
            )
        )
    await sign_in_person(client, contact["person_row"])

    first = await client.get("/audit?action=test.")
    assert first.text.count("row #") == 50
    assert "row #119" in first.text and "row #70" in first.text and "row #69" not in first.text
    assert 'href="/audit?action=test.&amp;page=2"' in first.text

    third = await client.htmx("GET", "/audit?action=test.&page=3")
    assert third.text.count("row #") == 20
    assert "row #19" in third.text and re.search(r"row #0\D", third.text)
    assert "page=4" not in third.text
    assert 'href="/audit?action=test.&amp;page=2"' in third.text


async def test_the_csv_export_holds_every_filtered_row_and_is_itself_audited(client):
    world = await two_organisations()
    admin = await factories.vendor_admin()
    alpha_actor = actor_for(world["alpha_contact"]["person_row"], world["alpha"])
    for n in range(3):
        await record(alpha_actor, "test.export", world["alpha"], after={"n": n})
    prankster = Actor(person_id=99, name="=HYPERLINK(1)", organisation_id=world["alpha"]["id"])
    await record(prankster, "test.export", world["alpha"], after={"n": 3})
    await sign_in_person(client, admin, provider="staff")

    answer = await client.get("/audit.csv?organisation=Alpha&action=test.")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert rows[0][0] == "Time (UTC)"
    body = rows[1:]
    assert len(body) == 4
    assert all(r[5] == "test.export" and r[2] == "Alpha Zorg B.V." for r in body)
    assert body[0][4].startswith("'=HYPERLINK")  # a name is never read as a spreadsheet formula
    assert body[1][8] == "n: — → 2"
    assert await AuditEntry.exists().where(AuditEntry.action == "audit.exported")


async def test_the_page_offers_the_export_of_what_it_shows(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    answer = await client.htmx("GET", "/audit?action=tenants.&person=Jan")
    assert 'href="/audit.csv?action=tenants.&amp;person=Jan"' in answer.text
