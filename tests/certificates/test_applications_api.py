"""The certificate workflow's JSON API: apply (201), list, approve (the code this once),
reject, the organisation's certificates, one certificate, reimbursement."""

from __future__ import annotations

import pytest
from cryptography import x509
from litestar import Litestar

from src.subscriptions.tables import Charge
from tests import factories
from tests.certificates.workflow_support import (
    actor_of,
    admin_actor,
    app_with_workflow_routes,
    bearer_for,
    csr_pem,
    org_with_contact,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def app() -> Litestar:
    return app_with_workflow_routes()


async def issued_number(org, contact) -> str:
    from src.certificates.services import applications, review
    from src.certificates.services.applications import ApplicationInput

    application = await applications.apply(
        await actor_of(contact),
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(["own.zorg.example"], fresh_key=True),
            dns_names=["own.zorg.example"],
            holder_membership_id=contact["id"],
        ),
    )
    return (await review.approve(await admin_actor(), application["id"])).certificate.number


async def setup():
    org, contact, actor = await org_with_contact()
    return org, contact, await bearer_for(actor), await bearer_for(await admin_actor())


async def test_apply_list_approve_and_read_through_the_api(client):
    # rule CRT-3, CRT-4, BIL-1
    org, contact, headers, admin = await setup()
    body = {
        "csr_pem": csr_pem(["portal.zorg.example"]),
        "dns_names": ["portal.zorg.example"],
        "holder_user_id": contact["id"],
        "lsp_connection": True,
    }
    created = await client.post(
        f"/api/v1/organisations/{org['id']}/certificate-applications", json=body, headers=headers
    )
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "pending" and application["kind"] == "server"
    listed = await client.get(f"/api/v1/organisations/{org['id']}/certificate-applications", headers=headers)
    assert [a["id"] for a in listed.json()] == [application["id"]]
    approved = await client.post(
        f"/api/v1/certificate-applications/{application['id']}/approve", headers=admin
    )
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    certificate = answer["certificate"]
    assert answer["revocation_code"]
    assert answer["application"]["status"] == "approved"
    assert answer["application"]["certificate_number"] == certificate["number"]
    loaded = x509.load_pem_x509_certificate(certificate["pem"].encode())
    assert format(loaded.serial_number, "x") == certificate["serial_hex"]
    assert certificate["not_after"]
    one = await client.get(f"/api/v1/certificates/{certificate['number']}", headers=headers)
    assert one.status_code == 200
    assert one.json()["status"] == "valid" and one.json()["pem"] == certificate["pem"]
    assert answer["revocation_code"] not in one.text  # never again
    listed = await client.get(f"/api/v1/organisations/{org['id']}/certificates", headers=headers)
    assert [c["number"] for c in listed.json()] == [certificate["number"]]
    again = await client.post(f"/api/v1/certificate-applications/{application['id']}/approve", headers=admin)
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)


async def test_bad_input_answers_422_naming_the_field(client):
    org, contact, headers, _admin = await setup()
    answer = await client.post(
        f"/api/v1/organisations/{org['id']}/certificate-applications",
        json={
            "csr_pem": csr_pem(kind="secp256k1"),
            "dns_names": ["portal.zorg.example"],
            "holder_user_id": contact["id"],
        },
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert {e["field"] for e in answer.json()["errors"]} == {"csr_pem"}
    answer = await client.post(
        f"/api/v1/organisations/{org['id']}/certificate-applications",
        json={"csr_pem": csr_pem(), "dns_names": ["*.zorg.example"], "holder_user_id": contact["id"]},
        headers=headers,
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "dns_names"


async def test_reject_through_the_api_charges_nothing(client):
    # rule BIL-3
    org, contact, headers, admin = await setup()
    created = await client.post(
        f"/api/v1/organisations/{org['id']}/certificate-applications",
        json={"csr_pem": csr_pem(), "dns_names": ["portal.zorg.example"], "holder_user_id": contact["id"]},
        headers=headers,
    )
    application_id = created.json()["id"]
    assert (
        await client.post(
            f"/api/v1/certificate-applications/{application_id}/reject", json={"reason": ""}, headers=admin
        )
    ).status_code == 422
    answer = await client.post(
        f"/api/v1/certificate-applications/{application_id}/reject",
        json={"reason": "Unknown domain"},
        headers=admin,
    )
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    assert answer.json()["rejection_reason"] == "Unknown domain"
    assert not await Charge.exists()


async def test_tenancy_and_roles_hold_in_the_api(client):
    org, contact, headers, _admin = await setup()
    _other, other_contact, _other_actor = await org_with_contact()
    other_headers = await bearer_for(await actor_of(other_contact))
    body = {"csr_pem": csr_pem(), "dns_names": ["portal.zorg.example"], "holder_user_id": contact["id"]}
    assert (
        await client.post(
            f"/api/v1/organisations/{org['id']}/certificate-applications", json=body, headers=other_headers
        )
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/organisations/{org['id']}/certificates", headers=other_headers)
    ).status_code == 404
    mine = await issued_number(org, contact)
    assert (await client.get(f"/api/v1/certificates/{mine}", headers=other_headers)).status_code == 404
    assert (await client.get(f"/api/v1/certificates/{mine}", headers=headers)).status_code == 200
    created = await client.post(
        f"/api/v1/organisations/{org['id']}/certificate-applications", json=body, headers=headers
    )
    # a contact person cannot approve
    assert (
        await client.post(f"/api/v1/certificate-applications/{created.json()['id']}/approve", headers=headers)
    ).status_code == 403
    end_user = await factories.member(org)
    end_headers = await bearer_for(await actor_of(end_user))
    assert (
        await client.get(f"/api/v1/organisations/{org['id']}/certificate-applications", headers=end_headers)
    ).status_code == 403


async def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert "/api/v1/organisations/{organisation_id}/certificate-applications" in paths
    assert "/api/v1/certificate-applications/{application_id}/approve" in paths
    assert "/organisation/certificates/apply" not in paths
