"""Vendor admins' pages for organisations, through the browser's eyes (HTML and htmx)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from src.core.tables import AuditEntry
from src.tenants.tables import Membership, Organisation, Person
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of

BASE = "/admin/organisations"


async def sign_in_admin(client: Any) -> dict[str, Any]:
    admin = await factories.vendor_admin()
    answer = await sign_in_person(client, admin, provider="staff")
    assert answer.status_code in (302, 303)
    return admin


def dutch_form(**fields: str) -> dict[str, str]:
    values = {
        "name": "Zorggroep Noord B.V.",
        "country": "NL",
        "legal_form": "bv",
        "kvk_number": "12345678",
        "agb_code": "01234567",
        "org_number": "",
        "billing_address": "Postbus 12\r\n9700 AA Groningen",
        "postal_address": "Hereweg 1\r\n9711 AA Groningen",
    }
    values.update(fields)
    return values


SWEDISH = {"country": "SE", "kvk_number": "", "agb_code": ""}


def error_next_to(html: str, field: str) -> str:
    """The error message shown in the field's own block, or ''."""
    match = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', html)
    return match.group(1).strip() if match else ""


# --- the list ----------------------------------------------------------------------------------


async def test_the_list_is_a_whole_page_without_htmx_and_only_the_table_with_htmx(client):
    await sign_in_admin(client)
    await factories.organisation(name="Alpha Zorg B.V.")
    await factories.organisation(name="Beta Zorg B.V.")

    full = await client.get(BASE)
    assert full.status_code == 200
    assert "<html" in full.text and 'id="organisation-filters"' in full.text
    assert 'hx-target="#organisation-results"' in full.text and 'hx-push-url="true"' in full.text
    assert "Alpha Zorg B.V." in full.text and "Beta Zorg B.V." in full.text
    assert full.headers["vary"] == "HX-Request"

    partial = await client.get(BASE, params={"q": "alpha"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="organisation-filters"' not in partial.text
    assert "Alpha Zorg B.V." in partial.text and "Beta Zorg B.V." not in partial.text
    assert "1 organisation" in text_of(partial.text)


async def test_restoring_htmx_history_gets_the_whole_page(client):
    await sign_in_admin(client)
    restored = await client.get(BASE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text


async def test_search_and_filters_work_without_javascript_too(client):
    await sign_in_admin(client)
    await factories.organisation(name="Alpha Zorg B.V.", kvk_number="11112222")
    await factories.organisation(name="Rust Zorg", legal_form="stichting", status="suspended")
    await factories.organisation(
        name="Vård Norr AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number="5560125790",
    )

    by_kvk = text_of((await client.get(BASE, params={"q": "1111-2222"})).text)
    assert "Alpha Zorg B.V." in by_kvk and "Rust Zorg" not in by_kvk

    swedish = await client.get(BASE, params={"country": "SE"})
    assert "Vård Norr AB" in swedish.text and "Alpha Zorg" not in swedish.text
    assert '<option value="SE" selected>' in swedish.text  # the form shows the filter in use

    suspended = text_of((await client.get(BASE, params={"status": "suspended"})).text)
    assert "Rust Zorg" in suspended and "Alpha Zorg" not in suspended and "Suspended" in suspended

    foundations = text_of((await client.get(BASE, params={"legal_form": "stichting"})).text)
    assert "Rust Zorg" in foundations and "Vård Norr AB" not in foundations

    nothing = text_of((await client.get(BASE, params={"q": "no such name"})).text)
    assert "No organisation matches this search." in nothing


async def test_column_headers_sort_both_ways_and_keep_the_filters(client):
    await sign_in_admin(client)
    for name in ("Bravo Zorg", "Alpha Zorg", "Charlie Zorg"):
        await factories.organisation(name=name)

    page = await client.get(BASE, params={"q": "zorg"}, headers={"HX-Request": "true"})
    order = re.findall(r">(\w+) Zorg</a>", page.text)
    assert order == ["Alpha", "Bravo", "Charlie"]
    # the name header now sorts descending, keeping the search; it swaps the table with htmx
    link = re.search(
        r'<a href="([^"]*sort=-name[^"]*)" hx-get="\1" hx-target="#organisation-results"', page.text
    )
    assert link is not None and "q=zorg" in link.group(1)

    descending = await client.get(link.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert re.findall(r">(\w+) Zorg</a>", descending.text) == ["Charlie", "Bravo", "Alpha"]
    assert 'aria-sort="descending"' in descending.text
    # the search box sends the sort along from now on
    sort_select = re.search(
        r'<select id="f-sort" name="sort" form="organisation-filters".*?</select>', descending.text, re.S
    )
    assert sort_select is not None and '<option value="-name" selected>' in sort_select.group(0)


async def test_the_pager_shows_25_per_page_with_htmx_links(client):
    await sign_in_admin(client)
    for i in range(27):
        await factories.organisation(name=f"Praktijk {i:02d}")

    first = await client.get(BASE)
    assert len(re.findall(r'href="/admin/organisations/\d+"', first.text)) == 25
    assert "Page 1 of 2" in text_of(first.text) and "27 organisations" in text_of(first.text)
    next_link = re.search(r'<a class="[^"]*" rel="next" href="([^"]+)" hx-get="\1"', first.text)
    assert next_link is not None and next_link.group(1) == f"{BASE}?page=2"

    second = await client.get(next_link.group(1), headers={"HX-Request": "true"})
    assert "<html" not in second.text
    assert len(re.findall(r'href="/admin/organisations/\d+"', second.text)) == 2
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


# --- registering and editing -------------------------------------------------------------------


async def test_a_vendor_admin_registers_an_organisation_through_the_form(client):
    await sign_in_admin(client)
    form = await client.get(f"{BASE}/new")
    assert form.status_code == 200
    for field in (
        "name",
        "country",
        "legal_form",
        "kvk_number",
        "agb_code",
        "org_number",
        "billing_address",
        "postal_address",
    ):
        assert f'name="{field}"' in form.text
    assert (
        "Eenmanszaak (sole proprietorship)" in form.text
        and "Enskild firma (sole proprietorship)" in form.text
    )

    created = await client.post_form(f"{BASE}/new", dutch_form(), follow_redirects=False)
    assert created.status_code == 303
    org = await Organisation.select().first()
    assert created.headers["location"] == f"{BASE}/{org['id']}"
    assert org["billing_address"] == "Postbus 12\n9700 AA Groningen"

    detail = text_of((await client.get(created.headers["location"])).text)
    assert "Zorggroep Noord B.V. is registered." in detail
    assert "12345678" in detail and "01234567" in detail and "Active" in detail


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the organisation&#39;s name."),
        ({"kvk_number": "1234"}, "kvk_number", "A KvK number has 8 digits."),
        ({"kvk_number": ""}, "kvk_number", "A Dutch organisation needs its KvK number."),
        ({"agb_code": "12"}, "agb_code", "An AGB code has 8 digits."),
        ({"org_number": "556012-5790"}, "org_number", "A Dutch organisation has no organisationsnummer"),
        ({"legal_form": "aktiebolag"}, "legal_form", "This is not a Dutch legal form"),
        ({"country": ""}, "country", "Choose the Netherlands (NL) or Sweden (SE)."),
        (
            {
                "country": "SE",
                "legal_form": "aktiebolag",
                "kvk_number": "",
                "agb_code": "",
                "org_number": "5560125791",
            },
            "org_number",
            "fails its check digit",
        ),
        (
            {
                "country": "SE",
                "legal_form": "enskild_firma",
                "kvk_number": "",
                "agb_code": "",
                "org_number": "",
            },
            "org_number",
            "enter the owner&#39;s personnummer",
        ),
    ],
)
async def test_a_bad_form_comes_back_with_the_error_next_to_the_field_and_stores_nothing(
    client, changes, field, message
):
    await sign_in_admin(client)
    response = await client.post_form(f"{BASE}/new", dutch_form(**changes))
    assert response.status_code == 422
    assert message in error_next_to(response.text, field)
    assert 'aria-invalid="true"' in response.text
    assert "nothing was saved" in response.text
    assert 'value="Hereweg' not in response.text  # (addresses are textareas)
    if field != "name":
        assert 'value="Zorggroep Noord B.V."' in response.text  # what was typed is kept
    assert await Organisation.count() == 0


async def test_a_duplicate_kvk_number_comes_back_as_a_field_error(client):
    await sign_in_admin(client)
    await factories.organisation(name="Eerste Zorg B.V.", kvk_number="12345678")
    response = await client.post_form(f"{BASE}/new", dutch_form())
    assert response.status_code == 422
    assert "Another organisation already has this KvK number: Eerste Zorg B.V." in error_next_to(
        response.text, "kvk_number"
    )
    assert await Organisation.count() == 1


async def test_editing_shows_the_current_values_and_saves_changes(client):
    await sign_in_admin(client)
    org = await factories.organisation(name="Oud B.V.", kvk_number="12345678")
    form = await client.get(f"{BASE}/{org['id']}/edit")
    assert form.status_code == 200
    assert 'value="Oud B.V."' in form.text and 'value="12345678"' in form.text

    saved = await client.post_form(
        f"{BASE}/{org['id']}/edit", dutch_form(name="Nieuw B.V."), follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{BASE}/{org['id']}"
    assert (await Organisation.select(Organisation.name).where(Organisation.id == org["id"]).first())[
        "name"
    ] == "Nieuw B.V."
    assert await AuditEntry.exists().where(AuditEntry.action == "tenants.organisation_updated")


async def test_a_bad_edit_comes_back_with_errors_and_changes_nothing(client):
    await sign_in_admin(client)
    org = await factories.organisation(name="Oud B.V.")
    before = await Organisation.select().where(Organisation.id == org["id"]).first()
    response = await client.post_form(
        f"{BASE}/{org['id']}/edit", dutch_form(name="Nieuw B.V.", country="SE", legal_form="aktiebolag")
    )
    assert response.status_code == 422
    assert "no KvK number" in error_next_to(response.text, "kvk_number")
    assert "needs its organisationsnummer" in error_next_to(response.text, "org_number")
    assert await Organisation.select().where(Organisation.id == org["id"]).first() == before


# --- the detail page, suspending ---------------------------------------------------------------


async def test_the_detail_page_shows_facts_contact_persons_and_users(client):
    await sign_in_admin(client)
    org = await factories.organisation(name="Zorg Oost B.V.", agb_code="01234567")
    contact = await factories.member(org, role="contact_person", email="carla@oost.example")
    await factories.member(org)
    response = await client.get(f"{BASE}/{org['id']}")
    text = text_of(response.text)
    assert response.status_code == 200
    assert "Zorg Oost B.V." in text and "Besloten vennootschap (B.V.)" in text and "01234567" in text
    assert contact["name"] in text and "carla@oost.example" in text
    assert "2 active users" in text
    assert contact["person_row"]["personal_identity_number"] not in text  # identifiers are masked
    assert "Suspend this organisation" in text


async def test_suspending_takes_a_confirm_step_and_reactivating_undoes_it(client):
    await sign_in_admin(client)
    org = await factories.organisation(name="Zorg Oost B.V.")
    page = await client.get(f"{BASE}/{org['id']}")
    # the suspend button sits behind a confirm step that explains what happens
    confirm = re.search(r'<details class="confirm-step">(.*?)</details>', page.text, re.S)
    assert confirm is not None
    assert f'action="/admin/organisations/{org["id"]}/suspend"' in confirm.group(1)
    assert "All its data are kept" in text_of(confirm.group(1))

    done = await client.post_form(f"{BASE}/{org['id']}/suspend", {"reason": "Unpaid"}, follow_redirects=False)
    assert done.status_code == 303
    after = text_of((await client.get(f"{BASE}/{org['id']}")).text)
    assert "Zorg Oost B.V. is suspended" in after and "Suspended" in after
    assert "Reactivate this organisation" in after
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.organisation_suspended").first()
    assert entry is not None and "Unpaid" in str(entry["after"])

    await client.post_form(f"{BASE}/{org['id']}/reactivate")
    again = await Organisation.select(Organisation.status).where(Organisation.id == org["id"]).first()
    assert again["status"] == "active"


async def test_an_htmx_post_is_told_where_to_go_next(client):
    await sign_in_admin(client)
    org = await factories.organisation()
    response = await client.htmx("POST", f"{BASE}/{org['id']}/suspend", data={"reason": ""})
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == f"{BASE}/{org['id']}"


async def test_an_organisation_that_does_not_exist_is_not_found(client):
    await sign_in_admin(client)
    assert (await client.get(f"{BASE}/999999")).status_code == 404
    assert (await client.get(f"{BASE}/999999/edit")).status_code == 404
    assert (await client.post_form(f"{BASE}/999999/suspend")).status_code == 404


# --- contact persons ---------------------------------------------------------------------------


async def test_a_contact_person_is_added_and_shown_on_the_detail_page(client):
    await sign_in_admin(client)
    org = await factories.organisation(name="Zorg Oost B.V.")
    form = await client.get(f"{BASE}/{org['id']}/contact-persons/new")
    assert form.status_code == 200 and "BSN, 9 digits" in form.text

    added = await client.post_form(
        f"{BASE}/{org['id']}/contact-persons/new",
        {
            "name": "Carla de Vries",
            "email": "carla@oost.example",
            "personal_identity_number": "111222333",
            "card_id": "",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    detail = text_of((await client.get(f"{BASE}/{org['id']}")).text)
    assert "Carla de Vries is a contact person of Zorg Oost B.V." in detail
    assert "carla@oost.example" in detail
    membership = await Membership.select().where(Membership.organisation == org["id"]).first()
    assert membership["role"] == "contact_person"


async def test_a_contact_person_without_e_mail_comes_back_with_the_error(client):
    await sign_in_admin(client)
    org = await factories.organisation()
    response = await client.post_form(
        f"{BASE}/{org['id']}/contact-persons/new",
        {"name": "Carla de Vries", "email": "", "personal_identity_number": "111222333"},
    )
    assert response.status_code == 422
    assert error_next_to(response.text, "email") == "Enter an e-mail address."
    assert 'value="Carla de Vries"' in response.text
    assert not await Membership.exists()
    assert not await Person.exists().where(Person.personal_identity_number == "111222333")


# --- who may ------------------------------------------------------------------------------------


def admin_requests(org_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", BASE),
        ("GET", f"{BASE}/new"),
        ("POST", f"{BASE}/new"),
        ("GET", f"{BASE}/{org_id}"),
        ("GET", f"{BASE}/{org_id}/edit"),
        ("POST", f"{BASE}/{org_id}/edit"),
        ("POST", f"{BASE}/{org_id}/suspend"),
        ("POST", f"{BASE}/{org_id}/reactivate"),
        ("GET", f"{BASE}/{org_id}/contact-persons/new"),
        ("POST", f"{BASE}/{org_id}/contact-persons/new"),
    ]


@pytest.mark.parametrize("role", ["end_user", "contact_person"])
async def test_people_of_an_organisation_get_403_on_every_admin_page(client, role):
    org = await factories.organisation(name="Eigen Zorg B.V.")
    member = await factories.member(org, role=role)
    await sign_in_person(client, member["person_row"])
    before = await Organisation.select().order_by(Organisation.id)

    for method, path in admin_requests(org["id"]):
        if method == "GET":
            response = await client.get(path, follow_redirects=False)
        else:
            response = await client.post_form(
                path,
                {
                    **dutch_form(name="Hijacked"),
                    "email": "x@evil.example",
                    "personal_identity_number": "123456782",
                },
                follow_redirects=False,
            )
        assert response.status_code == 403, f"{method} {path}"
    assert await Organisation.select().order_by(Organisation.id) == before
    assert await Membership.count() == 1


async def test_without_signing_in_the_admin_pages_send_you_to_sign_in(client):
    org = await factories.organisation()
    response = await client.get(f"{BASE}/{org['id']}", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/signin")


async def test_a_form_post_without_the_csrf_token_is_refused(client):
    await sign_in_admin(client)
    response = await client.post(f"{BASE}/new", data=dutch_form())
    assert response.status_code == 403
    assert await Organisation.count() == 0
