"""An organisation exports its data as one ZIP (rule AG-7): what is in it, what never is, and
who may download it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from src.certificates.services.revocation import revoke_certificate
from src.certificates.tables import Certificate
from src.core.errors import Forbidden, NotFound
from src.core.i18n import current_locale
from src.core.tables import AuditEntry
from src.dashboard.services import export
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import rights
from src.tenants.tables import Organisation
from tests import factories
from tests.certificates.pki_support import issue
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.tenants.test_compliance import sign_agreement
from tests.tenants.test_rights import actor_of, module_id, subscribed_org

FILES = {
    "README.txt",
    "organisation.json",
    "users.json",
    "rights.json",
    "certificates.json",
    "agreements.json",
    "subscriptions.json",
}


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def _organisation_with_data(name: str, marker: str) -> dict[str, Any]:
    """An organisation with a contact person, an end user with rights (one with signing right),
    a revoked and a valid certificate, a signed customer agreement and a subscription."""
    org = await subscribed_org(name=name)
    contact = await factories.member(
        org,
        await factories.person(
            name=f"Carla {marker}", email=f"carla@{marker}.example", card_id=f"UZI-{marker.upper()}-1234"
        ),
        role="contact_person",
        email=f"carla@{marker}.example",
    )
    user = await factories.member(
        org, await factories.person(name=f"Eddy {marker}"), email=f"eddy@{marker}.example"
    )
    actor = await actor_of(contact)
    await rights.set_right(actor, org["id"], user["id"], await module_id("requests"), granted=True)
    await rights.set_right(
        actor, org["id"], contact["id"], await module_id("contracting"), granted=True, signing=True
    )
    revoked, _, _ = await issue(org, kind="server", holder=contact, dns_names=[f"portal.{marker}.example"])
    valid, _, _ = await issue(org, kind="personal", holder=user)
    await revoke_certificate(actor, revoked.certificate_id, "data_changed", "portal")
    await sign_agreement(org)
    return {
        "org": org,
        "contact": contact,
        "user": user,
        "revoked": revoked,
        "valid": valid,
    }


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_the_export_holds_every_area_of_the_organisation_and_nothing_of_another():
    # rule AG-7
    mine = await _organisation_with_data("Zorggroep Één & Co B.V.", "alpha")
    other = await _organisation_with_data("Leakcheck Beta Zorg B.V.", "beta")
    actor = await actor_of(mine["contact"])
    await Organisation.update({Organisation.vat_number: "NL802741538B01"}).where(
        Organisation.id == mine["org"]["id"]
    )

    result = await export.export_organisation(actor, mine["org"]["id"])

    assert result.filename.startswith("Zorggroep-Een-Co-B-V-export-") and result.filename.endswith(".zip")
    files = _unzip(result.content)
    assert set(files) == FILES
    data = {name: json.loads(files[name].decode("utf-8")) for name in FILES if name.endswith(".json")}

    assert data["organisation.json"]["name"] == "Zorggroep Één & Co B.V."
    assert data["organisation.json"]["kvk_number"] == mine["org"]["kvk_number"]
    assert data["organisation.json"]["vat_number"] == "NL802741538B01"
    assert data["organisation.json"]["billing_email"] == ""  # none: invoices go to the contact persons

    people = {u["name"]: u for u in data["users.json"]}
    assert set(people) >= {"Carla alpha", "Eddy alpha"}
    carla = people["Carla alpha"]
    assert carla["registered_email"] == "carla@alpha.example"
    assert carla["role"] == "contact_person" and carla["status"] == "active"
    # sign-in identifiers only masked, as the users page shows them
    assert carla["card_id"].endswith("1234") and "UZI-ALPHA" not in carla["card_id"]
    pin = mine["user"]["person_row"]["personal_identity_number"]
    assert people["Eddy alpha"]["personal_identity_number"].endswith(pin[-4:])
    assert pin not in files["users.json"].decode("utf-8")

    granted = {(r["user_name"], r["module"], r["signing_right"]) for r in data["rights.json"]}
    assert ("Eddy alpha", "requests", False) in granted
    assert ("Carla alpha", "contracting", True) in granted

    certificates = {c["number"]: c for c in data["certificates.json"]}
    assert set(certificates) == {mine["revoked"].number, mine["valid"].number}
    revoked = certificates[mine["revoked"].number]
    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    assert revoked["revocation_reason"] == "data_changed"
    assert revoked["holder_name"] == "Carla alpha"
    assert revoked["dns_names"] == ["portal.alpha.example"]
    assert revoked["serial"] and revoked["valid_from"] and revoked["valid_until"]
    assert certificates[mine["valid"].number]["status"] == "valid"

    [acceptance] = data["agreements.json"]
    assert acceptance["signed_by"] and acceptance["signed_at"]
    assert acceptance["documents"][0]["version"] == 1
    assert len(acceptance["documents"][0]["sha256"]["nl"]) == 64

    [subscription] = data["subscriptions.json"]
    assert subscription["service"] == "procurement_portal" and subscription["currency"]

    readme = files["README.txt"].decode("utf-8")
    assert "Zorggroep Één & Co B.V." in readme
    assert all(name in readme for name in FILES - {"README.txt"})
    assert "Exported on" in readme

    everything = b"".join(files.values()).decode("utf-8")
    # nothing of the other organisation
    for leak in ("beta", "Beta", other["org"]["kvk_number"], other["revoked"].number, other["valid"].number):
        assert leak not in everything
    # never the revocation code, its hash or key material
    hashes = [r["revocation_code_hash"] for r in await Certificate.select(Certificate.revocation_code_hash)]
    for secret in (mine["revoked"].revocation_code, mine["valid"].revocation_code, *hashes):
        assert secret not in everything
    assert "PRIVATE KEY" not in everything and "BEGIN CERTIFICATE" not in everything

    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.data_exported").first()
    assert entry is not None
    assert entry["organisation_id"] == mine["org"]["id"]
    assert "Carla alpha" in entry["actor_label"]


async def test_the_readme_is_in_the_language_of_the_person_exporting(monkeypatch):
    # rule AG-7
    mine = await _organisation_with_data("Vårdbolaget AB", "gamma")
    languages: list[str] = []
    readme = export._readme

    def spy(*args: Any) -> str:
        languages.append(current_locale.get())
        return readme(*args)

    monkeypatch.setattr(export, "_readme", spy)
    token = current_locale.set("sv")
    try:
        result = await export.export_organisation(await actor_of(mine["contact"]), mine["org"]["id"])
    finally:
        current_locale.reset(token)
    assert languages == ["sv"]
    text = _unzip(result.content)["README.txt"].decode("utf-8")
    assert "Vårdbolaget AB" in text
    assert "Carla gamma" in text  # who exported


async def test_only_contact_persons_of_the_organisation_and_vendor_admins_may_export():
    # rule AG-7
    mine = await _organisation_with_data("Zorggroep Export B.V.", "delta")
    other = await _organisation_with_data("Andere Zorg B.V.", "epsilon")
    with pytest.raises(Forbidden):
        await export.export_organisation(await actor_of(mine["user"]), mine["org"]["id"])
    with pytest.raises(NotFound):
        await export.export_organisation(await actor_of(other["contact"]), mine["org"]["id"])
    assert not await AuditEntry.exists().where(AuditEntry.action == "tenants.data_exported")
    admin = await factories.vendor_admin()
    admin_actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert admin_actor is not None
    result = await export.export_organisation(admin_actor, mine["org"]["id"])
    assert "Zorggroep Export B.V." in _unzip(result.content)["organisation.json"].decode("utf-8")
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.data_exported").first()
    assert entry["actor_label"].startswith("Vendor Admin") and entry["organisation_id"] == mine["org"]["id"]


async def test_a_contact_person_downloads_the_export_from_the_overview_page(client):
    # rule AG-7
    mine = await _organisation_with_data("Zorggroep Download B.V.", "zeta")
    await sign_in_person(client, mine["contact"]["person_row"])
    overview = await client.get("/organisation/overview")
    assert overview.status_code == 200
    assert "Export our data" in text_of(overview.text)
    assert 'href="/organisation/export"' in overview.text

    answer = await client.get("/organisation/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/zip")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "Zorggroep-Download-B-V-export-" in disposition
    assert set(_unzip(answer.content)) == FILES


async def test_an_end_user_cannot_download_the_export(client):
    # rule AG-7
    mine = await _organisation_with_data("Zorggroep Eind B.V.", "eta")
    await sign_in_person(client, mine["user"]["person_row"])
    overview = await client.get("/organisation/overview")
    assert overview.status_code == 200 and 'href="/organisation/export"' not in overview.text
    answer = await client.get("/organisation/export")
    assert answer.status_code == 403
    assert not await AuditEntry.exists().where(AuditEntry.action == "tenants.data_exported")


async def test_the_vendor_admin_downloads_any_organisations_export_and_others_cannot(client):
    # rule AG-7
    mine = await _organisation_with_data("Zorggroep Beheer B.V.", "theta")
    other = await _organisation_with_data("Andere Beheer B.V.", "iota")

    await sign_in_person(client, other["contact"]["person_row"])
    assert (await client.get(f"/admin/organisations/{mine['org']['id']}/export")).status_code == 403
    await client.post_form("/signout")

    admin = await factories.vendor_admin()
    await sign_in_person(client, admin)
    detail = await client.get(f"/admin/organisations/{mine['org']['id']}")
    assert f'href="/admin/organisations/{mine["org"]["id"]}/export"' in detail.text
    answer = await client.get(f"/admin/organisations/{mine['org']['id']}/export")
    assert answer.status_code == 200
    assert "Zorggroep-Beheer-B-V-export-" in answer.headers["content-disposition"]
    files = _unzip(answer.content)
    assert "theta" in files["users.json"].decode("utf-8")
    assert "iota" not in b"".join(files.values()).decode("utf-8")
    entry = await AuditEntry.select().where(AuditEntry.action == "tenants.data_exported").first()
    assert entry is not None and entry["organisation_id"] == mine["org"]["id"]
    assert entry["actor_label"].startswith("Vendor Admin")
    assert (await client.get("/admin/organisations/999999/export")).status_code == 404
