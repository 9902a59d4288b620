"""Revocation requests received by post or e-mail (rule REV-5): recorded with the scans of the
signed form and the identity document, checked, executed; evidence kept for vendor admins."""

from __future__ import annotations

import hashlib

import pytest
from litestar import Litestar

from src.certificates.services import applications, manual_revocation, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.tables import Certificate, EvidenceFile, ManualRevocationRequest, Revocation
from src.core.errors import Conflict, Forbidden, InputError
from src.core.tables import AuditEntry
from src.settings import get_settings
from tests import factories
from tests.certificates.workflow_support import (
    actor_of,
    admin_actor,
    app_with_workflow_routes,
    csr_pem,
    org_with_contact,
)
from tests.signed_in import sign_in_person
from tests.support import text_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def app() -> Litestar:
    return app_with_workflow_routes()


async def certificate():
    org, contact, actor = await org_with_contact(name="Zorggroep Intrek B.V.")
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(fresh_key=True),
            dns_names=["portal.zorg.example"],
            holder_membership_id=contact["id"],
        ),
    )
    return org, contact, (await review.approve(await admin_actor(), application["id"])).certificate


def fields(number: str, **changes):
    values = {
        "certificate_number": number,
        "received_via": "email",
        "received_on": "2026-11-20",
        "requester_name": "Dirk Directeur",
        "reason": "organisation_ceased",
        "signed_form": manual_revocation.Upload("form scan.pdf", PDF),
        "identity_document": manual_revocation.Upload("passport.jpg", JPEG),
    }
    values.update(changes)
    return values


ALL_TICKED = {item: True for item in manual_revocation.CHECKLIST}


async def test_record_check_and_execute_a_request():
    # rule REV-5
    _org, _contact, cert = await certificate()
    admin = await admin_actor()
    row = await manual_revocation.record_request(admin, **fields(cert.number))
    assert row["status"] == "awaiting" and row["certificate_number"] == cert.number
    files = {f["kind"]: f for f in row["evidence"]}
    assert files["signed_form"]["content_type"] == "application/pdf"
    assert files["identity_document"]["content_type"] == "image/jpeg"
    assert files["signed_form"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    stored = get_settings().var_dir / "evidence" / files["signed_form"]["storage_path"]
    assert stored.read_bytes() == PDF
    assert not (await Certificate.select().where(Certificate.id == cert.certificate_id).first())["revoked_at"]
    with pytest.raises(Conflict):  # the checklist comes first
        await manual_revocation.execute(admin, row["id"])
    with pytest.raises(InputError) as exc:
        await manual_revocation.confirm_checklist(admin, row["id"], {**ALL_TICKED, "identity_valid": False})
    assert set(exc.value.errors) == {"identity_valid"}
    await manual_revocation.confirm_checklist(admin, row["id"], ALL_TICKED)
    result = await manual_revocation.execute(admin, row["id"])
    assert result["request"]["status"] == "executed"
    assert result["request"]["executed_by_name"] == "Vendor Admin"
    revocation = await Revocation.select().first()
    assert revocation["channel"] == "manual" and revocation["reason"] == "organisation_ceased"
    assert (await Certificate.select().where(Certificate.id == cert.certificate_id).first())["revoked_at"]
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {
        "certificates.manual_revocation_recorded",
        "certificates.manual_revocation_checked",
        "certificates.manual_revocation_executed",
        "certificates.revoked",
    } <= actions
    with pytest.raises(Conflict):
        await manual_revocation.execute(admin, row["id"])
    assert await Revocation.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        (
            {"signed_form": manual_revocation.Upload("form.pdf", b"MZ\x90\x00 not a pdf")},
            "signed_form",
            "not a PDF, JPG or PNG",
        ),
        (
            {"identity_document": manual_revocation.Upload("id.png", b"GIF89a....")},
            "identity_document",
            "not a PDF, JPG or PNG",
        ),
        ({"identity_document": None}, "identity_document", "Upload the scan"),
        (
            {"signed_form": manual_revocation.Upload("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))},
            "signed_form",
            "larger than 10 MB",
        ),
        ({"certificate_number": "S-1999-999999"}, "certificate_number", "No certificate"),
        ({"received_via": "fax"}, "received_via", "post or e-mail"),
        ({"received_on": "yesterday"}, "received_on", "YYYY-MM-DD"),
        ({"requester_name": " "}, "requester_name", "Enter the name"),
        ({"reason": "bored"}, "reason", "Choose the reason"),
    ],
)
async def test_bad_requests_are_refused_and_store_nothing(changes, field, expected):
    _org, _contact, cert = await certificate()
    with pytest.raises(InputError) as exc:
        await manual_revocation.record_request(await admin_actor(), **fields(cert.number, **changes))
    assert expected in exc.value.errors[field]
    assert not await ManualRevocationRequest.exists()
    assert not await EvidenceFile.exists()


async def test_a_png_scan_is_accepted_by_its_content_whatever_its_name():
    _org, _contact, cert = await certificate()
    row = await manual_revocation.record_request(
        await admin_actor(),
        **fields(cert.number, identity_document=manual_revocation.Upload("scan.pdf", PNG)),
    )
    assert {f["content_type"] for f in row["evidence"]} == {"application/pdf", "image/png"}


async def test_an_already_revoked_certificate_is_refused_clearly():
    _org, _contact, cert = await certificate()
    admin = await admin_actor()
    row = await manual_revocation.record_request(admin, **fields(cert.number))
    await manual_revocation.confirm_checklist(admin, row["id"], ALL_TICKED)
    from src.certificates.services.revocation import revoke_certificate
    from src.core import db

    async with db.transaction():
        await revoke_certificate(admin, cert.certificate_id, "data_changed", "portal")
    with pytest.raises(Conflict) as exc:
        await manual_revocation.execute(admin, row["id"])
    assert "already revoked" in exc.value.message
    assert (await manual_revocation.get_request(admin, row["id"]))["status"] == "awaiting"
    refused = await manual_revocation.refuse(admin, row["id"], "Already revoked online")
    assert refused["status"] == "refused" and "Already revoked online" in refused["notes"]


async def test_only_vendor_admins_handle_requests_and_read_evidence():
    _org, contact, cert = await certificate()
    admin = await admin_actor()
    row = await manual_revocation.record_request(admin, **fields(cert.number))
    contact_actor = await actor_of(contact)
    with pytest.raises(Forbidden):
        await manual_revocation.record_request(contact_actor, **fields(cert.number))
    with pytest.raises(Forbidden):
        await manual_revocation.evidence_file(contact_actor, row["id"], row["evidence"][0]["id"])
    meta, content = await manual_revocation.evidence_file(admin, row["id"], row["evidence"][0]["id"])
    assert content in (PDF, JPEG) and meta["sha256"] == hashlib.sha256(content).hexdigest()


async def test_the_pages_record_check_execute_and_serve_evidence(client):
    # rule REV-5 through the vendor admin's pages
    _org, contact, cert = await certificate()
    await sign_in_person(client, await factories.vendor_admin())
    token = await client.csrf()
    form = {k: v for k, v in fields(cert.number).items() if not isinstance(v, manual_revocation.Upload)}
    answer = await client.post(
        "/admin/revocation-requests/new",
        data={**form, "_csrf_token": token},
        files={
            "signed_form": ("form.pdf", PDF, "application/pdf"),
            "identity_document": ("id.exe", b"MZ....", "image/jpeg"),
        },
    )
    assert answer.status_code == 422
    assert "not a PDF, JPG or PNG" in text_of(answer.text)
    assert not await ManualRevocationRequest.exists()
    answer = await client.post(
        "/admin/revocation-requests/new",
        data={**form, "_csrf_token": token},
        files={
            "signed_form": ("form.pdf", PDF, "application/pdf"),
            "identity_document": ("id.jpg", JPEG, "image/jpeg"),
        },
        follow_redirects=True,
    )
    assert answer.status_code == 200, answer.text
    request_row = await ManualRevocationRequest.select().first()
    detail = text_of(answer.text)
    assert "Zorggroep Intrek B.V." in detail and "Dirk Directeur" in detail
    awaiting = await client.get("/admin/revocation-requests", params={"status": "awaiting"})
    assert cert.number in text_of(awaiting.text)  # awaiting execution
    evidence = await EvidenceFile.select().where(EvidenceFile.kind == "identity_document").first()
    download = await client.get(f"/admin/revocation-requests/{request_row['id']}/evidence/{evidence['id']}")
    assert download.status_code == 200 and download.content == JPEG
    assert download.headers["content-type"].startswith("image/jpeg")
    checked = await client.post_form(
        f"/admin/revocation-requests/{request_row['id']}/checklist",
        {item: "on" for item in manual_revocation.CHECKLIST},
    )
    assert checked.status_code in (200, 303)
    executed = await client.post_form(
        f"/admin/revocation-requests/{request_row['id']}/execute", follow_redirects=True
    )
    assert f"Certificate {cert.number} was revoked" in text_of(executed.text)
    assert (await ManualRevocationRequest.select().first())["status"] == "executed"
    # a contact person never reads the evidence
    await client.get("/signout")
    client.cookies.clear()
    await sign_in_person(client, contact["person_row"])
    refused = await client.get(f"/admin/revocation-requests/{request_row['id']}/evidence/{evidence['id']}")
    assert refused.status_code in (403, 404)
