"""What invoices need of an organisation: its VAT number, billing e-mail address and Peppol ID.
Contact persons keep them up to date on their organisation's page and through the API; vendor
admins on the admin pages and the API. Every change is audited; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from src.core.errors import InputError
from src.core.tables import AuditEntry
from src.tenants import validation
from src.tenants.services.organisation_input import clean_billing
from src.tenants.tables import Organisation
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.tenants.test_organisations_api import URL, admin_headers, bearer

DUTCH_VAT = "NL802741538B01"  # passes the Dutch check digit (eleven test)
SWEDISH_VAT = "SE556781234101"  # organisationsnummer 556781-2341 + 01


# --- checking each field ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (DUTCH_VAT, DUTCH_VAT),
        ("nl 8027.41.538.b01", DUTCH_VAT),  # compact and upper case
        (SWEDISH_VAT, SWEDISH_VAT),
        ("SE 5567 8123 4101", SWEDISH_VAT),
        ("DE136695976", "DE136695976"),  # another member state: a group registered abroad
    ],
)
def test_a_valid_vat_number_is_stored_compact_and_upper_case(typed: str, stored: str) -> None:
    assert clean_billing({"vat_number": typed})["vat_number"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NL802741539B01", "fails its check digits"),  # one digit off
        ("SE556781234201", "fails its check digits"),
        ("NL8027415381B01", "not a valid VAT number of NL"),  # a digit too many
        ("SE55678123410", "not a valid VAT number of SE"),
        ("US123456789", "not a VAT number of an EU member state"),
        ("123456789B01", "starts with its country code"),
    ],
)
def test_a_bad_vat_number_is_refused_naming_the_field(typed: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        clean_billing({"vat_number": typed})
    assert message in str(refused.value.errors["vat_number"])


def test_the_vat_number_is_shown_as_registered() -> None:
    assert validation.vat_display(DUTCH_VAT) == DUTCH_VAT
    assert validation.vat_display("PL1234563218") == "PL 123-456-32-18"
    assert validation.vat_display("") == ""


def test_an_empty_vat_number_billing_email_and_peppol_id_are_allowed() -> None:
    assert clean_billing({"vat_number": " ", "billing_email": "", "peppol_id": None}) == {
        "vat_number": "",
        "billing_email": "",
        "peppol_id": "",
    }


def test_the_billing_email_is_checked_as_any_e_mail_address() -> None:
    assert (
        clean_billing({"billing_email": " facturen@zorg.example "})["billing_email"]
        == "facturen@zorg.example"
    )
    with pytest.raises(InputError) as refused:
        clean_billing({"billing_email": "facturen at zorg"})
    assert "not a valid e-mail address" in str(refused.value.errors["billing_email"])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0106:30276841", "0106:30276841"),  # KvK number
        ("0190:00000001003214345000", "0190:00000001003214345000"),  # OIN
        ("0007:556781-2341", "0007:5567812341"),  # organisationsnummer
        ("0088:8712345678906", "0088:8712345678906"),  # GLN
        ("9944:nl802741538b01", f"9944:{DUTCH_VAT}"),
        (f"9955:{SWEDISH_VAT}", f"9955:{SWEDISH_VAT}"),
    ],
)
def test_a_valid_peppol_id(typed: str, stored: str) -> None:
    assert clean_billing({"peppol_id": typed})["peppol_id"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("30276841", "scheme and an identifier"),
        ("0192:991825827", "Use one of the schemes"),
        ("0106:1234567", "8 digits"),
        ("0190:1234", "20 digits"),
        ("0007:5567812342", "fails its check digit"),
        ("0088:8712345678907", "fails its check digit"),  # GLN, GS1 check digit off
        ("0088:871234567890", "13 digits"),
        (f"9944:{SWEDISH_VAT}", "VAT number of NL"),
        ("9955:SE556781234201", "fails its check digits"),
    ],
)
def test_a_bad_peppol_id_is_refused_naming_the_field(typed: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        clean_billing({"peppol_id": typed})
    assert message in str(refused.value.errors["peppol_id"])


# --- the contact persons' page ------------------------------------------------------------------


async def signed_in(client: Any, membership: dict[str, Any]) -> None:
    answer = await sign_in_person(client, membership["person_row"])
    assert answer.status_code in (302, 303), answer.text


async def stored(org: dict[str, Any]) -> dict[str, Any]:
    row = await Organisation.select().where(Organisation.id == org["id"]).first()
    assert row is not None
    return row


async def billing_audit() -> list[dict[str, Any]]:
    return (
        await AuditEntry.select()
        .where(AuditEntry.action == "tenants.organisation_billing_details_updated")
        .output(load_json=True)
    )


async def test_a_contact_person_changes_the_invoicing_details_on_the_organisation_page(client):
    org = await factories.organisation(name="Zorggroep Factuur B.V.")
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    home = await client.get("/organisation")
    assert 'href="/organisation/billing"' in home.text
    assert "None: invoices go to the contact persons" in text_of(home.text)
    form = await client.get("/organisation/billing")
    assert form.status_code == 200
    assert "Leave empty to send them to the contact persons" in text_of(form.text)

    answer = await client.post_form(
        "/organisation/billing",
        {
            "vat_number": "nl 8027 41 538 b01",
            "billing_email": "facturen@factuur.example",
            "peppol_id": "0106:30276841",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    row = await stored(org)
    assert (row["vat_number"], row["billing_email"], row["peppol_id"]) == (
        DUTCH_VAT,
        "facturen@factuur.example",
        "0106:30276841",
    )
    text = text_of((await client.get("/organisation")).text)
    assert DUTCH_VAT in text and "facturen@factuur.example" in text and "0106:30276841" in text

    [entry] = await billing_audit()
    assert entry["organisation_id"] == org["id"] and entry["actor_person_id"] == contact["person"]
    assert entry["before"] == {"vat_number": "", "billing_email": "", "peppol_id": ""}
    assert entry["after"] == {
        "vat_number": DUTCH_VAT,
        "billing_email": "facturen@factuur.example",
        "peppol_id": "0106:30276841",
    }


async def test_bad_invoicing_details_are_shown_next_to_the_fields_and_nothing_changes(client):
    org = await factories.organisation(vat_number=DUTCH_VAT)
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    answer = await client.post_form(
        "/organisation/billing",
        {"vat_number": "NL802741539B01", "billing_email": "nope", "peppol_id": "0088:8712345678907"},
    )
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "fails its check digits" in text and "not a valid e-mail address" in text
    assert 'value="NL802741539B01"' in answer.text  # what was typed stays
    assert 'id="f-peppol_id-error"' in answer.text
    assert (await stored(org))["vat_number"] == DUTCH_VAT
    assert await billing_audit() == []


async def test_saving_the_same_details_again_writes_no_audit_row(client):
    org = await factories.organisation(vat_number=DUTCH_VAT)
    contact = await factories.member(org, role="contact_person")
    await signed_in(client, contact)
    answer = await client.post_form(
        "/organisation/billing", {"vat_number": DUTCH_VAT}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert await billing_audit() == []


async def test_an_end_user_cannot_change_the_invoicing_details(client):
    org = await factories.organisation()
    await factories.member(org, role="contact_person")
    user = await factories.member(org)
    await signed_in(client, user)
    home = await client.get("/organisation")
    assert "Invoicing" in text_of(home.text) and 'href="/organisation/billing"' not in home.text
    assert (await client.get("/organisation/billing")).status_code == 403
    answer = await client.post_form("/organisation/billing", {"vat_number": DUTCH_VAT})
    assert answer.status_code == 403
    assert (await stored(org))["vat_number"] == ""


# --- the API ------------------------------------------------------------------------------------


async def test_the_api_returns_the_invoicing_details_to_the_organisations_own_users(client):
    org = await factories.organisation(vat_number=SWEDISH_VAT, billing_email="faktura@zorg.example")
    user = await factories.member(org)
    body = (await client.get(f"{URL}/{org['id']}", headers=await bearer(user["person"], org["id"]))).json()
    assert body["vat_number"] == SWEDISH_VAT
    assert body["billing_email"] == "faktura@zorg.example"
    assert body["peppol_id"] == ""


async def test_a_contact_person_changes_only_the_invoicing_details_of_their_own_organisation(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    headers = await bearer(contact["person"], org["id"])
    answer = await client.patch(
        f"{URL}/{org['id']}",
        json={"vat_number": DUTCH_VAT, "peppol_id": f"9944:{DUTCH_VAT}"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["vat_number"] == DUTCH_VAT and answer.json()["peppol_id"] == f"9944:{DUTCH_VAT}"
    [entry] = await billing_audit()
    assert entry["after"] == {"vat_number": DUTCH_VAT, "peppol_id": f"9944:{DUTCH_VAT}"}

    # the other fields stay the vendor admins'
    refused = await client.patch(
        f"{URL}/{org['id']}", json={"name": "Anders B.V.", "vat_number": ""}, headers=headers
    )
    assert refused.status_code == 403
    assert (await stored(org))["vat_number"] == DUTCH_VAT

    # another organisation is not there for them
    other = await factories.organisation()
    assert (
        await client.patch(f"{URL}/{other['id']}", json={"vat_number": DUTCH_VAT}, headers=headers)
    ).status_code == 404
    assert (await stored(other))["vat_number"] == ""


async def test_an_end_user_cannot_change_the_invoicing_details_through_the_api(client):
    org = await factories.organisation()
    user = await factories.member(org)
    answer = await client.patch(
        f"{URL}/{org['id']}",
        json={"billing_email": "x@zorg.example"},
        headers=await bearer(user["person"], org["id"]),
    )
    assert answer.status_code == 403
    assert (await stored(org))["billing_email"] == ""


async def test_a_vendor_admin_changes_the_invoicing_details_through_the_api_audited(client):
    org = await factories.organisation(billing_email="oud@zorg.example")
    headers = await admin_headers()
    answer = await client.patch(
        f"{URL}/{org['id']}", json={"billing_email": None, "vat_number": "se556781234101"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["billing_email"] == "" and answer.json()["vat_number"] == SWEDISH_VAT
    entry = (
        await AuditEntry.select()
        .where(AuditEntry.action == "tenants.organisation_updated")
        .output(load_json=True)
        .first()
    )
    assert entry["before"] == {"vat_number": "", "billing_email": "oud@zorg.example"}
    assert entry["after"] == {"vat_number": SWEDISH_VAT, "billing_email": ""}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vat_number": "NL802741539B01"}, "vat_number"),
        ({"billing_email": "no address"}, "billing_email"),
        ({"peppol_id": "0106:123"}, "peppol_id"),
    ],
)
async def test_bad_invoicing_details_answer_422_naming_the_field_and_change_nothing(client, changes, field):
    org = await factories.organisation()
    for headers in (
        await admin_headers(),
        await bearer((await factories.member(org, role="contact_person"))["person"], org["id"]),
    ):
        answer = await client.patch(f"{URL}/{org['id']}", json=changes, headers=headers)
        assert answer.status_code == 422
        assert field in str(answer.json())
    row = await stored(org)
    assert (row["vat_number"], row["billing_email"], row["peppol_id"]) == ("", "", "")
    assert not await AuditEntry.exists().where(AuditEntry.action.like("tenants.organisation_%"))


async def test_a_vendor_admin_registers_an_organisation_with_its_invoicing_details(client):
    answer = await client.post(
        URL,
        json={
            "name": "Vårdbolaget AB",
            "country": "SE",
            "legal_form": "aktiebolag",
            "org_number": "556781-2341",
            "vat_number": "SE 556781234101",
            "billing_email": "faktura@vardbolaget.example",
            "peppol_id": "0007:5567812341",
        },
        headers=await admin_headers(),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["vat_number"] == SWEDISH_VAT and answer.json()["peppol_id"] == "0007:5567812341"


# --- the vendor admins' pages -------------------------------------------------------------------


async def test_a_vendor_admin_edits_the_invoicing_details_on_the_organisation_form(client):
    org = await factories.organisation(name="Zorggroep Admin B.V.")
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    form = await client.get(f"/admin/organisations/{org['id']}/edit")
    assert 'name="vat_number"' in form.text and 'name="peppol_id"' in form.text
    values = {
        key: str(org[key] or "")
        for key in (
            "name",
            "country",
            "legal_form",
            "kvk_number",
            "agb_code",
            "billing_address",
            "postal_address",
        )
    }
    refused = await client.post_form(
        f"/admin/organisations/{org['id']}/edit", {**values, "vat_number": "NL802741539B01"}
    )
    assert refused.status_code == 422 and "fails its check digits" in text_of(refused.text)
    saved = await client.post_form(
        f"/admin/organisations/{org['id']}/edit",
        {**values, "vat_number": DUTCH_VAT, "billing_email": "facturen@admin.example"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    detail = text_of((await client.get(f"/admin/organisations/{org['id']}")).text)
    assert DUTCH_VAT in detail and "facturen@admin.example" in detail
