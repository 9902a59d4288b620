"""The organisation's certificate pages and the vendor admin's review pages, through the
browser's eyes: apply (with htmx checks), review, the certificate list, detail and downloads."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography import x509
from litestar import Litestar

from src.certificates.services import applications, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.tables import Certificate, CertificateApplication
from src.subscriptions.tables import Charge
from tests import factories
from tests.certificates.workflow_support import (
    admin_actor,
    app_with_workflow_routes,
    csr_pem,
    org_with_contact,
)
from tests.signed_in import sign_in_person
from tests.support import text_of


@pytest.fixture
def app() -> Litestar:
    return app_with_workflow_routes()


async def signed_in_contact(client, **org_fields):
    org, contact, actor = await org_with_contact(**org_fields)
    await sign_in_person(client, contact["person_row"])
    return org, contact, actor


async def issued(org, contact, actor, names=("portal.zorg.example",), lsp=False):
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(list(names), fresh_key=True),
            dns_names=list(names),
            holder_membership_id=contact["id"],
            lsp_connection=lsp,
        ),
    )
    return (await review.approve(await admin_actor(), application["id"])).certificate


async def test_a_contact_person_applies_through_the_form(client):
    # rule CRT-3
    _org, contact, _actor = await signed_in_contact(client)
    form = await client.get("/organisation/certificates/apply")
    assert form.status_code == 200
    assert "Carla Contact" in form.text
    answer = await client.post_form(
        "/organisation/certificates/apply",
        {
            "kind": "server",
            "csr_pem": csr_pem(),
            "dns_names": "portal.zorg.example",
            "holder_user_id": str(contact["id"]),
            "lsp_connection": "on",
        },
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "Your application was submitted" in text_of(answer.text)
    row = await CertificateApplication.select().first()
    assert row["lsp_connection"] is True and row["status"] == "pending"


async def test_an_uploaded_csr_file_is_read(client):
    _org, contact, _actor = await signed_in_contact(client)
    token = await client.csrf()
    answer = await client.post(
        "/organisation/certificates/apply",
        data={
            "_csrf_token": token,
            "kind": "server",
            "dns_names": "portal.zorg.example",
            "holder_user_id": str(contact["id"]),
        },
        files={"csr_file": ("server.csr", csr_pem().encode(), "application/pkcs10")},
    )
    assert answer.status_code in (303, 200), answer.text
    assert await CertificateApplication.count() == 1, text_of(answer.text)


async def test_bad_input_re_renders_the_form_with_the_message_and_stores_nothing(client):
    _org, contact, _actor = await signed_in_contact(client)
    weak = csr_pem(kind="rsa1024")
    answer = await client.post_form(
        "/organisation/certificates/apply",
        {"kind": "server", "csr_pem": weak, "holder_user_id": str(contact["id"])},
    )
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "at least 2048" in text and "nothing was saved" in text
    assert weak.strip() in answer.text  # the values stay in the form
    assert f'<option value="{contact["id"]}" selected' in answer.text
    assert not await CertificateApplication.exists()


async def test_the_htmx_check_tells_what_the_csr_holds_or_what_is_wrong(client):
    _org, _contact, _actor = await signed_in_contact(client)
    ok = await client.htmx(
        "POST", "/organisation/certificates/apply/check", {"csr_pem": csr_pem(kind="p256"), "kind": "server"}
    )
    assert ok.status_code == 200
    assert "EC P-256" in ok.text and "portal.zorg.example" in ok.text
    assert "<html" not in ok.text  # a partial
    bad = await client.htmx(
        "POST",
        "/organisation/certificates/apply/check",
        {"csr_pem": csr_pem(kind="ed25519"), "kind": "server"},
    )
    assert "Ed25519" in bad.text
    assert not await CertificateApplication.exists()


async def test_the_list_shows_status_holder_expiry_and_actions(client):
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor)
    page = await client.get("/organisation/certificates")
    text = text_of(page.text)
    assert cert.number in text and "Carla Contact" in text and "valid" in text
    assert f"/organisation/certificates/{cert.number}.pem" in page.text
    assert f"/organisation/certificates/apply?renew={cert.number}" in page.text
    # expiring within 60 days
    await Certificate.update({Certificate.not_after: dt.datetime.now(dt.UTC) + dt.timedelta(days=30)}).where(
        Certificate.number == cert.number
    )
    assert "expiring within 60 days" in text_of((await client.get("/organisation/certificates")).text)


async def test_the_detail_page_shows_the_facts_but_never_the_code(client):
    # rule CRT-4: the code reaches the subscriber once, in the letter; pages never show it
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor)
    page = await client.get(f"/organisation/certificates/{cert.number}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert cert.number in text and cert.serial_hex in text and "portal.zorg.example" in text
    assert "on its way" in text
    assert cert.revocation_code not in page.text
    assert f'hx-get="/organisation/certificates/{cert.number}/revoke"' in page.text
    step = await client.htmx("GET", f"/organisation/certificates/{cert.number}/revoke")
    assert step.status_code == 200 and 'name="confirm"' in step.text  # the revocation's confirm step


async def test_certificate_and_chain_download_as_pem(client):
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor)
    pem = await client.get(f"/organisation/certificates/{cert.number}.pem")
    assert pem.status_code == 200
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    loaded = x509.load_pem_x509_certificate(pem.content)
    assert format(loaded.serial_number, "x") == cert.serial_hex
    chain = await client.get(f"/organisation/certificates/{cert.number}/chain.pem")
    assert chain.status_code == 200
    assert len(x509.load_pem_x509_certificates(chain.content)) >= 3  # leaf, issuing CA, root


async def test_another_organisations_certificate_is_not_found(client):
    other, other_contact, other_actor = await org_with_contact()
    foreign = await issued(other, other_contact, other_actor)
    await signed_in_contact(client)
    for url in (
        f"/organisation/certificates/{foreign.number}",
        f"/organisation/certificates/{foreign.number}.pem",
        f"/organisation/certificates/{foreign.number}/chain.pem",
        f"/organisation/certificates/apply?renew={foreign.number}",
    ):
        assert (await client.get(url)).status_code == 404, url


async def test_renew_pre_fills_a_new_application(client):
    # rule CRT-2
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor, names=("portal.zorg.example", "api.zorg.example"), lsp=True)
    form = await client.get(f"/organisation/certificates/apply?renew={cert.number}")
    assert form.status_code == 200
    assert 'name="renewed_names" value="portal.zorg.example\napi.zorg.example"' in form.text
    assert f'value="{cert.number}"' in form.text
    assert f'<option value="{contact["id"]}" selected' in form.text
    assert 'name="lsp_connection" checked' in form.text
    answer = await client.post_form(
        "/organisation/certificates/apply",
        {
            "kind": "server",
            "csr_pem": csr_pem(["portal.zorg.example", "api.zorg.example"], fresh_key=True),
            "dns_names": "portal.zorg.example\napi.zorg.example",
            "holder_user_id": str(contact["id"]),
            "lsp_connection": "on",
            "renewal_of_number": cert.number,
        },
        follow_redirects=True,
    )
    assert "Your application was submitted" in text_of(answer.text)
    row = await CertificateApplication.select().where(CertificateApplication.status == "pending").first()
    assert row["renewal_of_number"] == cert.number


async def test_end_users_do_not_reach_the_certificate_pages(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/organisation/certificates")).status_code == 403
    assert (await client.get("/organisation/certificates/apply")).status_code == 403


async def test_the_nav_links_to_certificates_for_contact_persons(client):
    await signed_in_contact(client)
    assert 'href="/organisation/certificates"' in (await client.get("/organisation/certificates")).text


async def test_a_vendor_admin_reviews_in_the_queue_and_approves(client):
    # rule CRT-3, BIL-1
    org, contact, actor = await org_with_contact(name="Queue Zorg B.V.")
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(), dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
        ),
    )
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin)
    queue = await client.get("/admin/certificate-applications")
    text = text_of(queue.text)
    assert "Queue Zorg B.V." in text and "portal.zorg.example" in text and "Carla Contact" in text
    detail = await client.get(f"/admin/certificate-applications/{application['id']}")
    assert "RSA 2048" in text_of(detail.text)
    answer = await client.post_form(
        f"/admin/certificate-applications/{application['id']}/approve", follow_redirects=True
    )
    assert answer.status_code == 200
    cert = await Certificate.select().first()
    assert f"Certificate {cert['number']} was issued" in text_of(answer.text)
    assert await Charge.count() == 1


async def test_a_vendor_admin_rejects_with_a_reason_and_no_charge(client):
    # rule BIL-3
    org, contact, actor = await org_with_contact()
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(), dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
        ),
    )
    await sign_in_person(client, await factories.vendor_admin())
    empty = await client.post_form(
        f"/admin/certificate-applications/{application['id']}/reject", {"reason": ""}
    )
    assert empty.status_code == 422 and "Give the reason" in text_of(empty.text)
    answer = await client.post_form(
        f"/admin/certificate-applications/{application['id']}/reject",
        {"reason": "Domain not yours"},
        follow_redirects=True,
    )
    assert "no fee is charged" in text_of(answer.text)
    assert not await Charge.exists() and not await Certificate.exists()


async def test_contact_persons_do_not_reach_the_review_queue(client):
    await signed_in_contact(client)
    assert (await client.get("/admin/certificate-applications")).status_code == 403
    assert (await client.get("/admin/certificates")).status_code == 403


def names_of(application: dict) -> list[str]:
    names = application["dns_names"]
    return json.loads(names) if isinstance(names, str) else names


async def test_each_kind_has_its_own_form_with_only_its_fields(client):
    # rule CRT-3
    _org, _contact, _actor = await signed_in_contact(client)
    server = await client.get("/organisation/certificates/apply")
    assert 'name="kind" value="server"' in server.text and 'name="lsp_connection"' in server.text
    assert "the renewal letter is addressed to them" in text_of(server.text)
    personal = await client.get("/organisation/certificates/apply?kind=personal")
    assert 'name="kind" value="personal"' in personal.text
    assert 'name="lsp_connection"' not in personal.text and "DNS names are taken" not in personal.text
    assert "The user the certificate is for" in text_of(personal.text)
    assert "EUR 450" not in personal.text


async def test_the_dns_names_are_taken_from_the_csr_and_can_be_unticked(client):
    # rule CRT-3
    _org, contact, _actor = await signed_in_contact(client)
    csr = csr_pem(["portal.zorg.example", "api.zorg.example"], fresh_key=True)
    check = await client.htmx(
        "POST", "/organisation/certificates/apply/check", {"csr_pem": csr, "kind": "server"}
    )
    for name in ("portal.zorg.example", "api.zorg.example"):
        assert f'name="dns_names" value="{name}" checked' in check.text
    # Unticking every name is no application (the boxes were offered: not "take them all").
    none = await client.post_form(
        "/organisation/certificates/apply",
        {
            "kind": "server",
            "csr_pem": csr,
            "names_offered": "api.zorg.example portal.zorg.example",
            "holder_user_id": str(contact["id"]),
        },
    )
    assert none.status_code == 422 and "Give at least one DNS name" in text_of(none.text)
    assert 'name="dns_names" value="api.zorg.example">' in none.text  # shown unticked, as left
    one = await client.post_form(
        "/organisation/certificates/apply",
        {
            "kind": "server",
            "csr_pem": csr,
            "names_offered": "api.zorg.example portal.zorg.example",
            "dns_names": "api.zorg.example",
            "holder_user_id": str(contact["id"]),
        },
    )
    assert one.status_code in (200, 303)
    row = await CertificateApplication.select().first()
    assert names_of(row) == ["api.zorg.example"]


async def test_without_javascript_every_name_in_the_csr_is_applied_for(client):
    # rule CRT-3: the form works without the live check
    _org, contact, _actor = await signed_in_contact(client)
    csr = csr_pem(["portal.zorg.example", "api.zorg.example"], fresh_key=True)
    answer = await client.post_form(
        "/organisation/certificates/apply",
        {"kind": "server", "csr_pem": csr, "holder_user_id": str(contact["id"])},
    )
    assert answer.status_code in (200, 303), text_of(answer.text)
    row = await CertificateApplication.select().first()
    assert sorted(names_of(row)) == ["api.zorg.example", "portal.zorg.example"]


async def test_a_renewal_says_which_names_of_the_old_certificate_the_new_csr_lacks(client):
    # rule CRT-2
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor, names=("portal.zorg.example", "api.zorg.example"))
    check = await client.htmx(
        "POST",
        "/organisation/certificates/apply/check",
        {
            "csr_pem": csr_pem(["portal.zorg.example"], fresh_key=True),
            "kind": "server",
            "renewed_names": "portal.zorg.example\napi.zorg.example",
            "renewal_of_number": cert.number,
        },
    )
    assert "also holds api.zorg.example; this CSR does not" in text_of(check.text)


async def test_the_certificate_page_names_every_attribute_of_the_subject(client):
    org, contact, actor = await signed_in_contact(client)
    cert = await issued(org, contact, actor)
    text = text_of((await client.get(f"/organisation/certificates/{cert.number}")).text)
    assert f"serialNumber={contact['id']}" in text and "organizationIdentifier=NTRNL-" in text
    assert "2.5.4." not in text
