"""Reimbursement of LSP certificates (rule BIL-4): a vendor admin confirms it, the pending fee's
payer becomes the third party; one reimbursed certificate per connection (organisation + first
DNS name) while it is in force."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar

from src.certificates.services import applications, fees, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.tables import Certificate
from src.core.errors import Conflict, Forbidden, InputError
from src.core.tables import AuditEntry
from src.subscriptions.tables import Charge
from tests import factories
from tests.certificates.workflow_support import (
    admin_actor,
    app_with_workflow_routes,
    bearer_for,
    csr_pem,
    org_with_contact,
)
from tests.signed_in import sign_in_person
from tests.support import text_of


@pytest.fixture
def app() -> Litestar:
    return app_with_workflow_routes()


async def issue(org, contact, actor, names, *, lsp=True, renewal_of=None):
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(names, fresh_key=True),
            dns_names=names,
            holder_membership_id=contact["id"],
            lsp_connection=lsp,
            renewal_of_number=renewal_of,
        ),
    )
    return (await review.approve(await admin_actor(), application["id"])).certificate


async def test_confirming_reimbursement_makes_the_third_party_the_payer():
    # rule BIL-4
    org, contact, actor = await org_with_contact()
    cert = await issue(org, contact, actor, ["lsp.zorg.example"])
    admin = await admin_actor()
    row = await fees.confirm_reimbursement(admin, cert.certificate_id, "VZVZ")
    assert row["reimbursed_by"] == "VZVZ" and row["reimbursement_confirmed_at"] is not None
    charge = await Charge.select().first()
    assert (charge["payer_kind"], charge["payer_name"]) == ("third_party", "VZVZ")
    assert charge["amount_cents"] == 45000 and charge["organisation"] == org["id"]
    assert await AuditEntry.exists().where(AuditEntry.action == "certificates.reimbursement_confirmed")
    with pytest.raises(Conflict):  # only once
        await fees.confirm_reimbursement(admin, cert.certificate_id, "VZVZ")


async def test_one_reimbursed_certificate_per_connection():
    # rule BIL-4: "one server certificate per connection"
    org, contact, actor = await org_with_contact()
    first = await issue(org, contact, actor, ["lsp.zorg.example"])
    second = await issue(org, contact, actor, ["lsp.zorg.example", "alt.zorg.example"])
    other_connection = await issue(org, contact, actor, ["lsp2.zorg.example"])
    admin = await admin_actor()
    await fees.confirm_reimbursement(admin, first.certificate_id)
    with pytest.raises(Conflict) as exc:
        await fees.confirm_reimbursement(admin, second.certificate_id)
    assert first.number in exc.value.message
    await fees.confirm_reimbursement(admin, other_connection.certificate_id)
    payers = {r["source_id"]: r["payer_kind"] for r in await Charge.select()}
    assert payers == {
        first.certificate_id: "third_party",
        second.certificate_id: "organisation",
        other_connection.certificate_id: "third_party",
    }


async def test_a_renewal_may_be_reimbursed_while_the_old_certificate_runs_out():
    # rule BIL-4 with CRT-2: the renewal replaces the old certificate on the same connection
    org, contact, actor = await org_with_contact()
    old = await issue(org, contact, actor, ["lsp.zorg.example"])
    admin = await admin_actor()
    await fees.confirm_reimbursement(admin, old.certificate_id)
    renewal = await issue(org, contact, actor, ["lsp.zorg.example"], renewal_of=old.number)
    row = await fees.confirm_reimbursement(admin, renewal.certificate_id, "VZVZ")
    assert row["reimbursed_by"] == "VZVZ" and row["reimbursement_confirmed_at"] is not None
    payers = {r["source_id"]: (r["payer_kind"], r["payer_name"]) for r in await Charge.select()}
    assert payers[renewal.certificate_id] == ("third_party", "VZVZ")
    assert payers[old.certificate_id][0] == "third_party"
    # A certificate on that connection that renews nothing is still the second one there.
    another = await issue(org, contact, actor, ["lsp.zorg.example"])
    with pytest.raises(Conflict):
        await fees.confirm_reimbursement(admin, another.certificate_id)


@pytest.mark.parametrize("ended", ["expired", "revoked"])
async def test_an_expired_or_revoked_reimbursed_certificate_frees_the_connection(ended: str):
    org, contact, actor = await org_with_contact()
    old = await issue(org, contact, actor, ["lsp.zorg.example"])
    new = await issue(org, contact, actor, ["lsp.zorg.example"])
    admin = await admin_actor()
    await fees.confirm_reimbursement(admin, old.certificate_id)
    with pytest.raises(Conflict):  # while the old one is in force
        await fees.confirm_reimbursement(admin, new.certificate_id)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    column = Certificate.not_after if ended == "expired" else Certificate.revoked_at
    await Certificate.update({column: yesterday}).where(Certificate.id == old.certificate_id)
    row = await fees.confirm_reimbursement(admin, new.certificate_id, "VZVZ")
    assert row["reimbursed_by"] == "VZVZ"
    charge = await Charge.select().where(Charge.source_id == new.certificate_id).first()
    assert (charge["payer_kind"], charge["payer_name"]) == ("third_party", "VZVZ")


async def test_only_lsp_server_certificates_and_only_vendor_admins():
    org, contact, actor = await org_with_contact()
    plain = await issue(org, contact, actor, ["www.zorg.example"], lsp=False)
    admin = await admin_actor()
    with pytest.raises(Conflict):
        await fees.confirm_reimbursement(admin, plain.certificate_id)
    lsp = await issue(org, contact, actor, ["lsp.zorg.example"])
    with pytest.raises(Forbidden):
        await fees.confirm_reimbursement(actor, lsp.certificate_id)
    with pytest.raises(InputError):
        await fees.confirm_reimbursement(admin, lsp.certificate_id, "  ")
    await Charge.update({Charge.status: "invoiced"}).where(Charge.source_id == lsp.certificate_id)
    with pytest.raises(Conflict):
        await fees.confirm_reimbursement(admin, lsp.certificate_id)
    assert (await Certificate.select().where(Certificate.id == lsp.certificate_id).first())[
        "reimbursed_by"
    ] == ""


async def test_the_admin_page_and_the_api_confirm_reimbursement(client):
    org, contact, actor = await org_with_contact()
    first = await issue(org, contact, actor, ["lsp.zorg.example"])
    second = await issue(org, contact, actor, ["lsp.zorg.example"])
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin)
    page = await client.get(f"/admin/certificates/{first.number}")
    assert "Confirm reimbursement" in text_of(page.text)
    answer = await client.post_form(
        f"/admin/certificates/{first.number}/reimbursement", {"reimbursed_by": "VZVZ"}, follow_redirects=True
    )
    assert "VZVZ pays the fee" in text_of(answer.text)
    refused = await client.post_form(
        f"/admin/certificates/{second.number}/reimbursement", {"reimbursed_by": "VZVZ"}
    )
    assert refused.status_code == 409 and "already reimbursed" in text_of(refused.text)
    headers = await bearer_for(await admin_actor(admin))
    api = await client.post(
        f"/api/v1/certificates/{second.number}/reimbursement", json={"reimbursed_by": "VZVZ"}, headers=headers
    )
    assert api.status_code == 409
